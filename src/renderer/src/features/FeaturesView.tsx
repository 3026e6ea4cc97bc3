import { useCallback, useEffect, useState } from 'react';
import type { NavRequest } from '../app/navigation';
import { useCommand } from '../api/hooks';
import { FeatureExplorer } from './FeatureExplorer';
import { FeaturePageView } from './FeaturePageView';
import type { SaeSummary } from './types';
import { catalogFigureGroups } from '../ui/sae-figures';
import { SaeFigures } from '../ui/SaeFigures';

const REMEMBERED_SAE = 'featurescope.features.saeId';

function remembered(): number | null {
  const v = Number(localStorage.getItem(REMEMBERED_SAE));
  return Number.isInteger(v) && v > 0 ? v : null;
}

function describe(s: SaeSummary): string {
  const analysed = s.analysis ? `${s.analysis.featureCount.toLocaleString()} features analysed` : 'not analysed yet';
  return `${s.name} · ${s.hookName} · ${s.architecture} · d_sae ${s.dSae.toLocaleString()} · ${analysed}`;
}

/** SAE picker, feature explorer, and the feature page that replaces the list while open. */
export function FeaturesView({ active, request }: { active: boolean; request?: NavRequest<'feature'> | undefined }) {
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const [saeId, setSaeId] = useState<number | null>(remembered);
  const [openIdx, setOpenIdx] = useState<number | null>(null);
  const back = useCallback(() => setOpenIdx(null), []);

  // Another view asked for a feature page: switch to its SAE and open it.
  useEffect(() => {
    if (!request) return;
    localStorage.setItem(REMEMBERED_SAE, String(request.saeId));
    setSaeId(request.saeId);
    setOpenIdx(request.idx);
  }, [request]);

  if (saes.error && !saes.data) {
    return (
      <p className="error-text" role="alert">
        Cannot read the catalog: {saes.error.message}
      </p>
    );
  }
  if (!saes.data) return <p className="muted">Reading the catalog…</p>;
  if (saes.data.length === 0) {
    return (
      <div className="empty" data-testid="features-empty">
        <h2>No SAEs in this workspace yet</h2>
        <p>Features come from a sparse autoencoder: train or import an SAE, then analyse it. Its features will be listed here to search and open.</p>
      </div>
    );
  }

  const sae = saes.data.find((s) => s.id === saeId) ?? saes.data.find((s) => s.analysis !== null) ?? saes.data[0]!;
  const pick = (id: number) => {
    localStorage.setItem(REMEMBERED_SAE, String(id));
    setSaeId(id);
    setOpenIdx(null);
  };

  return (
    <div className="fx-view">
      <div className="fx-sae">
        <label>
          <span className="muted">SAE</span>
          <select aria-label="SAE" value={sae.id} onChange={(e) => pick(Number(e.target.value))}>
            {saes.data.map((s) => (
              <option key={s.id} value={s.id}>
                {describe(s)}
              </option>
            ))}
          </select>
        </label>
        {/* Evaluation and analysis figures only, each saying over how many tokens (never training's). */}
        <SaeFigures groups={catalogFigureGroups(sae.metrics, sae.dSae, { training: false })} empty="not evaluated yet: run featurescope evaluate for its CE and KL scores" testId="sae-figures" />
      </div>
      {sae.analysis === null ? (
        <div className="empty">
          <h2>{sae.name} has no analysis yet</h2>
          <p>Analyse this SAE over a corpus to compute its features’ densities, top examples and explanations; they will be listed here.</p>
        </div>
      ) : (
        <>
          <FeatureExplorer key={sae.id} sae={sae} active={active && openIdx === null} onOpen={setOpenIdx} />
          {openIdx !== null ? <FeaturePageView key={`${sae.id}:${openIdx}`} saeId={sae.id} idx={openIdx} active={active} onBack={back} /> : null}
        </>
      )}
    </div>
  );
}
