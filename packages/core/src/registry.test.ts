import type { Compressor } from './contracts.js';
import { compressor, definePlugin, metric } from './declarations.js';
import { Registry } from './registry.js';
import { Tokens } from './tokens.js';
import { isCompatibleCore } from './version.js';

function fakeCompressor(id: string, extra: Partial<Compressor> = {}): Compressor {
  return {
    id,
    summary: `${id} summary`,
    params: [{ name: 'bits', type: 'integer', description: 'bits', default: 8, min: 1, max: 8 }],
    compress: async () => ({ method: id, params: {}, tensors: [], notes: [] }),
    ...extra,
  };
}

const quant = { name: '@mc-kit/plugin-quant', version: '0.1.0' };
const community = { name: 'mc-plugin-community', version: '1.2.3' };

describe('Registry', () => {
  it('registers a plugin manifest and resolves a fresh instance through the tsyringe container', async () => {
    const r = new Registry();
    let built = 0;
    const hook = definePlugin([compressor(() => (built++, fakeCompressor('int8')))]);
    const ids = r.addPlugin(quant, await hook({}));
    expect(ids).toEqual(['compressor:int8']);
    const before = built;
    const c = r.compressor('int8');
    expect(c.id).toBe('int8');
    expect(built).toBe(before + 1);
    expect(r.container.resolve<Compressor>(Tokens.compressor('int8')).id).toBe('int8');
    expect(r.container.resolve(Tokens.Registry)).toBe(r);
    expect(r.entry('compressor', 'int8').origin).toEqual(quant);
  });

  it('suggests the closest id for a typo, with the known ids as the hint', () => {
    const r = new Registry();
    r.add(
      quant,
      compressor(() => fakeCompressor('int8')),
    );
    r.add(
      quant,
      compressor(() => fakeCompressor('int4')),
    );
    try {
      r.compressor('itn8');
      throw new Error('expected a throw');
    } catch (e) {
      const err = e as { code: string; message: string; hint: string; exitCode: number };
      expect(err.code).toBe('E_UNKNOWN_ID');
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe('unknown method "itn8" (did you mean "int8"?)');
      expect(err.hint).toContain('int4, int8');
    }
    expect(() => r.compressor('zzzzzz')).toThrow(/^unknown method "zzzzzz"$/);
  });

  it('records a duplicate id from a second plugin as a conflict naming both plugins', () => {
    const r = new Registry();
    r.add(
      quant,
      compressor(() => fakeCompressor('int8')),
    );
    r.add(
      community,
      compressor(() => fakeCompressor('int8')),
    );
    expect(r.conflictMessages()).toEqual([
      'method id "int8" is declared by @mc-kit/plugin-quant@0.1.0 and by mc-plugin-community@1.2.3',
    ]);
    expect(() => r.compressor('int8')).toThrow(
      /declared by @mc-kit\/plugin-quant@0\.1\.0 and by mc-plugin-community@1\.2\.3/,
    );
    expect(r.has('compressor', 'int8')).toBe(false);
  });

  it('keeps kinds apart: a metric and a method may share an id', () => {
    const r = new Registry();
    r.add(
      quant,
      compressor(() => fakeCompressor('x')),
    );
    r.add(
      quant,
      metric(() => ({
        id: 'x',
        summary: 's',
        datasetKinds: ['text'],
        params: [],
        evaluate: async () => ({ metric: 'x', metricVersion: 1, values: {}, sums: {}, samples: 0 }),
      })),
    );
    expect(r.list().map((e) => `${e.declaration.kind}:${e.declaration.id}`)).toEqual(['compressor:x', 'metric:x']);
    expect(r.conflictMessages()).toEqual([]);
  });

  it('refuses malformed manifests and declarations with a message naming the plugin', () => {
    const r = new Registry();
    expect(() => r.addPlugin(community, undefined)).toThrow(
      /plugin mc-plugin-community: its mc:register hook did not return definePlugin/,
    );
    expect(() =>
      r.addPlugin(community, { mcPlugin: 1, declarations: [{ kind: 'compressor', id: 'Bad Id', create: () => null }] }),
    ).toThrow(/id "Bad Id"/);
    expect(() =>
      r.addPlugin(community, { mcPlugin: 1, declarations: [{ kind: 'gizmo', id: 'g', create: () => null }] }),
    ).toThrow(/unknown declaration kind/);
    const badParams = {
      kind: 'compressor',
      id: 'p',
      summary: '',
      params: [{ name: 'seed', type: 'integer', description: '' }],
      create: () => null,
    };
    expect(() => r.addPlugin(community, { mcPlugin: 1, declarations: [badParams] })).toThrow(/--seed is reserved/);
    expect(r.list()).toEqual([]);
  });

  it('refuses a compressor whose declared sweep parameter is not one of its own, and keeps one that is', () => {
    const r = new Registry();
    const manifest = (sweepParam: unknown) => ({
      mcPlugin: 1,
      declarations: [compressor(() => fakeCompressor('q', { sweepParam: sweepParam as string }))],
    });
    expect(() => r.addPlugin(community, manifest('bitz'))).toThrow(
      expect.objectContaining({
        code: 'E_PLUGIN_LOAD',
        message:
          'plugin mc-plugin-community: compressor q declares sweep parameter "bitz", which is not one of its parameters',
        hint: 'its parameters: bits',
      }),
    );
    expect(() => r.addPlugin(community, manifest(7))).toThrow(/declares sweep parameter 7/);
    expect(r.list()).toEqual([]);
    r.addPlugin(community, manifest('bits'));
    expect(r.compressor('q').sweepParam).toBe('bits');
  });

  // Issue 17 item 5: a plugin reported as skipped had registered its first declarations, and a
  // valid int8 among them put core's own int8 in conflict.
  it('registers a plugin whole or not at all: a bad declaration after a good one leaves no id behind', () => {
    const r = new Registry();
    r.add(
      quant,
      compressor(() => fakeCompressor('int8')),
    );
    const partlyBad = {
      mcPlugin: 1,
      coreVersion: '0.1.0',
      declarations: [
        compressor(() => fakeCompressor('int8')),
        compressor(() => fakeCompressor('fresh')),
        { kind: 'compressor', id: 'Bad Id', create: () => null },
      ],
    };
    expect(() => r.addPlugin(community, partlyBad)).toThrow(/plugin mc-plugin-community: id "Bad Id"/);
    expect(r.conflictMessages()).toEqual([]);
    expect(r.has('compressor', 'int8')).toBe(true);
    expect(r.compressor('int8').id).toBe('int8');
    expect(r.has('compressor', 'fresh')).toBe(false);
    expect(r.list().map((e) => `${e.origin.name}:${e.declaration.id}`)).toEqual(['@mc-kit/plugin-quant:int8']);
  });

  it('refuses a plugin that declares one id twice, registering none of its ids', () => {
    const r = new Registry();
    const twice = {
      mcPlugin: 1,
      coreVersion: '0.1.0',
      declarations: [
        compressor(() => fakeCompressor('a')),
        compressor(() => fakeCompressor('b')),
        compressor(() => fakeCompressor('a')),
      ],
    };
    expect(() => r.addPlugin(community, twice)).toThrow(
      /^plugin mc-plugin-community: declares the method id "a" twice$/,
    );
    expect(r.list()).toEqual([]);
    expect(r.conflictMessages()).toEqual([]);
  });
});

describe('isCompatibleCore', () => {
  it.each([
    ['0.1.0', '0.1.5', true],
    ['0.1.9', '0.1.0', false], // built against a newer patch: before 1.0 a patch may add what the plugin calls
    ['0.1.0', '0.1.0', true],
    ['1.0.2', '1.4.0', true],
    ['1.4.0', '1.0.2', false],
    ['0.0.3', '0.0.4', false], // ^0.0.3 is that patch only
    ['0.2.0-rc.1', '0.2.0', true],
    ['1.0', '1.0.0', false], // definePlugin records a full version; anything else was not written by it
    ['0.2.0', '0.1.0', false],
    ['1.0.0', '0.1.0', false],
    ['2.0.0', '1.9.0', false],
    ['garbage', '0.1.0', false],
  ])('plugin built for %s with core %s -> %s', (plugin, ours, ok) => {
    expect(isCompatibleCore(plugin, ours)).toBe(ok);
  });
});
