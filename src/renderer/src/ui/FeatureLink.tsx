import type { ReactNode } from 'react';
import { useNavigate } from '../app/navigation';

/** A feature index that opens the feature's page in the Features view. */
export function FeatureLink({ saeId, idx, children }: { saeId: number; idx: number; children?: ReactNode }) {
  const navigate = useNavigate();
  return (
    <button type="button" className="link-button mono" onClick={() => navigate({ to: 'feature', saeId, idx })} title={`Open feature ${idx}'s page`} data-testid="feature-link">
      {children ?? idx}
    </button>
  );
}
