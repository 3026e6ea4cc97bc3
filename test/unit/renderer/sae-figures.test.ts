// Issue #18, finding 3: every figure says where it comes from, and a dead fraction is the analysis's
// or an evaluation's over enough tokens — not a 4,096-token evaluation's "33.5 % dead" beside an
// analysis that found 6.7 %, nor training loss beside evaluation MSE.
import { describe, expect, it } from 'vitest';
import { catalogFigureGroups, evaluationGroup, trainingGroup } from '../../../src/renderer/src/ui/sae-figures';

const training = { tokens: 128_000, loss: 0.21, mse: 0.0031, explained_variance: 0.874, l0: 16, dead_fraction: 0, lr: 0.0002 };
// What the catalog holds after training and its end-of-training evaluation (same names overwritten).
const evaluated = { ...training, ce_loss_score: 0.952, kl_div_score: 0.961, explained_variance: 0.861, l0: 16.2, mse: 0.0035, dead_fraction: 0.335, eval_tokens: 4096, eval_predictions: 4064 };
const analysed = { ...evaluated, analysis_tokens: 50_000, analysis_dead_fraction: 0.067 };

const texts = (g: ReturnType<typeof catalogFigureGroups>) => g.map((x) => `${x.heading}: ${x.figures.map((f) => `${f.label} ${f.text}`).join(', ')}${x.note ? ` (${x.note})` : ''}`);

describe('SAE figures by source', () => {
  it('an analysed SAE: evaluation figures without a dead fraction, the dead fraction from the analysis', () => {
    expect(texts(catalogFigureGroups(analysed, 2048, { training: true }))).toEqual([
      'evaluation over 4,096 tokens: CE recovered 0.952, KL score 0.961, explained variance 0.861, L0 16.2, MSE 0.00350',
      'analysis over 50,000 tokens: dead 6.7%',
    ]);
  });

  it('an evaluation too short for a dead fraction says so and how many activations it had', () => {
    const [group] = catalogFigureGroups(evaluated, 2048, { training: true });
    expect(group!.figures.map((f) => f.key)).not.toContain('dead_fraction');
    expect(group!.note).toBe('no dead fraction: 4,096 tokens give each feature 32 activations on average (100 needed); analyse the SAE for one');
  });

  it('an evaluation over enough tokens gives the dead fraction, saying over how many', () => {
    const long = { ...evaluated, eval_tokens: 40_960, dead_fraction: 0.071 };
    const [group] = catalogFigureGroups(long, 2048, { training: false });
    expect(group!.figures.at(-1)).toMatchObject({ key: 'dead_fraction', text: '7.1%', title: 'features with no activation in 40,960 tokens' });
  });

  it('training figures only where no evaluation replaced them, and never in the Features header', () => {
    expect(texts(catalogFigureGroups(training, 2048, { training: true }))).toEqual(['training, last batch: explained variance 0.874, L0 16.0, MSE 0.00310, loss 0.210']);
    expect(catalogFigureGroups(training, 2048, { training: false })).toEqual([]);
    expect(catalogFigureGroups(evaluated, 2048, { training: true }).map((g) => g.source)).toEqual(['evaluation']);
  });

  it('the train job result: training over its last batch, evaluation with its own figures', () => {
    expect(trainingGroup(training, 256)!.heading).toBe('training, last batch of 256 tokens');
    expect(evaluationGroup({ eval_tokens: 8192, l0: 16, dead_fraction: 0.1, ce_loss_score: 0.9 }, 512, true)!.figures.map((f) => f.label)).toEqual(['CE recovered', 'L0', 'dead']);
  });
});
