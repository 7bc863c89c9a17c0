import { checkGates, enforceGates, figuresOf, GateFailedError, parseGates, planGates } from './gates.js';
import type { EvalResult } from './results.js';

describe('parseGates', () => {
  it('reads <figure> <op> <number> for every operator, with or without spaces', () => {
    expect(
      parseGates([
        'bpc.delta<=0.02',
        'kld.mean < 1e-2',
        ' accuracy.top1>=0.98 ',
        'a.b>-1',
        'a.b==3',
        'a.b != .5',
        'kick-mcq.category/STEM > 0.25',
      ]),
    ).toEqual([
      { expr: 'bpc.delta<=0.02', figure: 'bpc.delta', op: '<=', threshold: 0.02 },
      { expr: 'kld.mean < 1e-2', figure: 'kld.mean', op: '<', threshold: 0.01 },
      { expr: ' accuracy.top1>=0.98 ', figure: 'accuracy.top1', op: '>=', threshold: 0.98 },
      { expr: 'a.b>-1', figure: 'a.b', op: '>', threshold: -1 },
      { expr: 'a.b==3', figure: 'a.b', op: '==', threshold: 3 },
      { expr: 'a.b != .5', figure: 'a.b', op: '!=', threshold: 0.5 },
      { expr: 'kick-mcq.category/STEM > 0.25', figure: 'kick-mcq.category/STEM', op: '>', threshold: 0.25 },
    ]);
  });

  it.each([
    'bpc.delta',
    'bpc.delta<=',
    '<=0.02',
    'bpc.delta=>0.02',
    'bpc.delta<=abc',
    'bpc.delta<=NaN',
    'bpc.delta<=Infinity',
    'bpc.delta = 0.1',
    'bpc.delta<=0.1 extra',
  ])('refuses %j: exit 2 with the grammar', (expr) => {
    expect(() => parseGates([expr])).toThrow(
      expect.objectContaining({
        exitCode: 2,
        code: 'E_BAD_PARAM',
        message: `--gate ${JSON.stringify(expr)} is not <figure> <op> <number>`,
      }),
    );
  });
});

describe('checkGates', () => {
  const figures = { 'bpc.bpc': 1.25, 'bpc.delta': 0.02, 'kld.mean': Number.NaN };

  it('reports every gate, passing and failing; the boundary passes <= and fails <', () => {
    const out = checkGates(
      parseGates(['bpc.delta<=0.02', 'bpc.delta<0.02', 'bpc.bpc>1', 'bpc.bpc==1.25', 'bpc.bpc!=1.25']),
      figures,
    );
    expect(out.map((o) => [o.gate.expr, o.value, o.passed])).toEqual([
      ['bpc.delta<=0.02', 0.02, true],
      ['bpc.delta<0.02', 0.02, false],
      ['bpc.bpc>1', 1.25, true],
      ['bpc.bpc==1.25', 1.25, true],
      ['bpc.bpc!=1.25', 1.25, false],
    ]);
  });

  it('a NaN figure fails every gate, != included', () => {
    expect(checkGates(parseGates(['kld.mean<1', 'kld.mean>1', 'kld.mean!=0']), figures).map((o) => o.passed)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('an unknown figure is exit 2 with did-you-mean and the list', () => {
    expect(() => checkGates(parseGates(['bpc.bcp<2']), figures)).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: '--gate bpc.bcp<2: no figure bpc.bcp (did you mean bpc.bpc?)',
        hint: 'figures: bpc.bpc, bpc.delta, kld.mean',
      }),
    );
  });

  it('GateFailedError: exit 3, names each failed gate with its value and where', () => {
    const out = checkGates(parseGates(['bpc.delta<0.01', 'bpc.bpc<2', 'bpc.bpc>1.5']), figures, 'point 0.5');
    expect(() => enforceGates(out)).toThrow(GateFailedError);
    try {
      enforceGates(out);
    } catch (e) {
      expect(e).toMatchObject({
        exitCode: 3,
        code: 'E_GATE_FAILED',
        message:
          '2 of 3 gates failed: bpc.delta < 0.01 at point 0.5 (bpc.delta = 0.02); bpc.bpc > 1.5 at point 0.5 (bpc.bpc = 1.25)',
      });
    }
    expect(() => enforceGates(out.filter((o) => o.passed))).not.toThrow();
  });
});

describe('figuresOf', () => {
  const result = (metric: string, values: Record<string, number>, baselineValues?: Record<string, number>) =>
    ({
      metric: {
        metric,
        values: Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, higherIsBetter: false }])),
        ...(baselineValues
          ? {
              baselineValues: Object.fromEntries(
                Object.entries(baselineValues).map(([k, value]) => [k, { value, higherIsBetter: false }]),
              ),
            }
          : {}),
      },
    }) as unknown as EvalResult;

  it('names values <metric>.<value>, deltas against baselineValues, and <metric>.delta for the primary (first) value', () => {
    const f = figuresOf([
      result('bpc', { python: 1.5, cc: 2, average: 1.75 }, { python: 1.25, cc: 2.5, average: 1.875 }),
      result('accuracy', { top1: 0.9, top5: 1 }),
    ]);
    expect(f).toEqual({
      'bpc.python': 1.5,
      'bpc.cc': 2,
      'bpc.average': 1.75,
      'bpc.python.delta': 0.25,
      'bpc.cc.delta': -0.5,
      'bpc.average.delta': -0.125,
      'bpc.delta': 0.25,
      'accuracy.top1': 0.9,
      'accuracy.top5': 1,
    });
  });

  it("a metric's own .delta value (kick-* paired delta) stands, and gives <metric>.delta", () => {
    const f = figuresOf([result('kick-mcq', { accuracy: 0.5, 'accuracy.baseline': 0.75, 'accuracy.delta': -0.25 })]);
    expect(f['kick-mcq.accuracy.delta']).toBe(-0.25);
    expect(f['kick-mcq.delta']).toBe(-0.25);
  });
});

describe('planGates', () => {
  const metrics = [
    { id: 'bpc' },
    { id: 'kick-mcq', baseline: 'optional' as const },
    { id: 'kld', baseline: 'required' as const },
    { id: 'acme.ppl' },
  ];

  it('runs on the baseline only the metrics gated on a .delta that do not compare against it themselves', () => {
    expect(
      planGates(parseGates(['bpc.delta<0.1', 'bpc.bpc<2', 'kick-mcq.delta>-0.1', 'kld.mean<0.01']), metrics, true),
    ).toEqual(['bpc']);
    expect(planGates(parseGates(['bpc.bpc<2']), metrics, false)).toEqual([]);
    expect(planGates(parseGates(['acme.ppl.delta<1']), metrics, true)).toEqual(['acme.ppl']); // a community id with a dot
  });

  it('refuses before any work a gate on a metric not run (did-you-mean) and a .delta without --baseline', () => {
    expect(() => planGates(parseGates(['bcp.bpc<2']), metrics, true)).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: '--gate bcp.bpc<2: bcp is not a metric of this run (did you mean bpc?)',
      }),
    );
    expect(() => planGates(parseGates(['bpc.delta<0.1']), metrics, false)).toThrow(
      expect.objectContaining({ exitCode: 2, message: '--gate bpc.delta<0.1: a .delta figure needs --baseline' }),
    );
  });
});
