/**
 * mc report and the sweep's summary, end to end: a real sweep of mnist-cnn (prune at two
 * sparsities) plus int8 and int4 compressions, evaluated on mnist-test-mini; then the HTML pages
 * rendered by Debian's chromium, started here (playwright-core drives it over CDP; no DOM mock).
 * The chart's marks are counted in the live DOM and the screenshot is decoded (pngjs) to show it
 * is not blank. Skipped, in one line, only when ../shared is absent or chromium cannot be started.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser } from 'playwright-core';
import { HAS_SHARED, SHARED, lines, runMc, tempDir, warnSkip } from './helpers/cli.js';

const MNIST = join(SHARED, 'models', 'mnist-cnn');
const MINI = join(SHARED, 'data', 'mnist-test-mini');
/** vega names a layer's mark group `<layer name>_marks`; report-chart.ts names the points layer 'points' */
const POINT_MARKS = 'g.points_marks path';

/** The chromium to drive: $MC_CHROMIUM, else Debian's; with why it cannot be used, if it cannot. */
function findChromium(): { path?: string; why?: string } {
  const path = [
    process.env.MC_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ].find((p): p is string => !!p && existsSync(p));
  if (!path) return { why: 'no chromium found (apt-get install -y chromium, or set MC_CHROMIUM)' };
  const r = spawnSync(path, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', 'about:blank'], {
    timeout: 60_000,
    encoding: 'utf8',
  });
  const said = (r.stderr ?? '').trim().split('\n').pop();
  return r.status === 0
    ? { path }
    : { why: `${path} does not start headless (${r.error?.message ?? `exit ${r.status}${said ? `: ${said}` : ''}`})` };
}

const browserFound = HAS_SHARED ? findChromium() : {};
if (!HAS_SHARED) warnSkip('the report end-to-end tests');
else if (browserFound.why) console.warn(`SKIPPED the report browser test: ${browserFound.why}`);
const describeShared = HAS_SHARED ? describe : describe.skip;
const describeBrowser = HAS_SHARED && browserFound.path ? describe : describe.skip;

interface Row {
  label: string;
  series: string;
  dense: boolean;
  figures: Record<string, number>;
  metrics: Record<
    string,
    {
      values: Record<string, { value: number; delta?: { value: number; low?: number; high?: number; items?: number } }>;
    }
  >;
}

/** Pixels far from white, and of them those clearly coloured (the series colours, not grey text or grid). */
function inkOf(png: Buffer): { width: number; height: number; ink: number; coloured: number } {
  const img = PNG.sync.read(png);
  let ink = 0;
  let coloured = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const [r, g, b] = [img.data[i], img.data[i + 1], img.data[i + 2]];
    if (Math.min(r, g, b) < 200) ink++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured++;
  }
  return { width: img.width, height: img.height, ink, coloured };
}

// one sweep and two compressions for every test below (each step is a real CLI run)
const dir = tempDir('mc-report-');
const results = join(dir, 'results');
let setup: Promise<void> | undefined;
function sweepOnce(): Promise<void> {
  setup ??= (async () => {
    const sweep = await runMc([
      'sweep',
      MNIST,
      '--method',
      'prune',
      '--sweep',
      '0.5,0.9',
      '--metric',
      'accuracy',
      '--dataset',
      MINI,
      '--probes',
      '2',
      '--out',
      join(dir, 'sweep'),
      '--results',
      results,
    ]);
    expect(sweep.code).toBe(0);
    for (const m of ['int8', 'int4']) {
      expect(
        (await runMc(['compress', MNIST, '--method', m, '--probes', '2', '--out', join(dir, m), '--results', results]))
          .code,
      ).toBe(0);
      expect(
        (await runMc(['eval', join(dir, m), '--metric', 'accuracy', '--dataset', MINI, '--results', results])).code,
      ).toBe(0);
    }
  })();
  return setup;
}

describeShared('mc sweep summary and mc report', () => {
  beforeAll(() => sweepOnce(), 300_000);

  it('sweep leaves summary.json, summary.csv and report.html beside the points, with the dense point first', () => {
    const out = join(dir, 'sweep');
    expect(readdirSync(out).sort()).toEqual([
      '01-sparsity-0.5',
      '02-sparsity-0.9',
      'report.html',
      'summary.csv',
      'summary.json',
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { rows: Row[] };
    expect(summary.rows.map((r) => r.label)).toEqual(['dense', 'prune sparsity=0.5', 'prune sparsity=0.9']);
    const csv = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(4); // header + dense + 2 points
    expect(csv[1]).toMatch(/^dense,dense,true,/);
    // the delta is the row's value minus the dense row's, and accuracy's per-sample hits give it a paired interval over all 16 images
    const [dense, , p90] = summary.rows;
    const d = p90.metrics.accuracy.values.top1.delta!;
    expect(d.value).toBeCloseTo(p90.figures['accuracy.top1'] - dense.figures['accuracy.top1'], 12);
    expect(d.items).toBe(16);
    expect(d.low!).toBeLessThanOrEqual(d.value);
    expect(d.high!).toBeGreaterThanOrEqual(d.value);
    expect(p90.figures['accuracy.delta']).toBe(d.value);
  });

  it('every result records the device used, the onnxruntime version and the command line; one sweep shares one run id', () => {
    const all = readdirSync(results).map(
      (f) =>
        JSON.parse(readFileSync(join(results, f), 'utf8')) as {
          kind: string;
          device?: string;
          versions: { onnxruntime?: string };
          argv?: string[];
          run?: string;
        },
    );
    expect(all).toHaveLength(1 + 2 * 2 + 2 * 2); // sweep: dense eval + 2 x (compress, eval); then int8 and int4 each compress + eval
    expect(all.every((r) => r.device === 'cpu' && /^\d+\.\d+\.\d+/.test(r.versions.onnxruntime ?? ''))).toBe(true);
    const sweep = all.filter((r) => r.argv?.[0] === 'sweep');
    expect(sweep).toHaveLength(5);
    expect(new Set(sweep.map((r) => r.run)).size).toBe(1);
    expect(sweep[0].argv).toEqual(expect.arrayContaining(['--method', 'prune', '--sweep', '0.5,0.9']));
    expect(new Set(all.map((r) => r.run)).size).toBe(1 + 4); // the sweep, and four single runs
  });

  it('mc report joins everything: one row per model, chains labelled, every format; bad input is one line and exit 2', async () => {
    const json = await runMc(['report', results, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { rows: Row[] };
    expect(report.rows.map((r) => r.label)).toEqual([
      'dense',
      'prune sparsity=0.5',
      'prune sparsity=0.9',
      'int8',
      'int4',
    ]);
    expect(report.rows.find((r) => r.label === 'int4')!.figures['size.ratio']).toBeGreaterThan(4);
    const md = await runMc(['report', results, '--format', 'md']);
    expect(lines(md.stdout)).toHaveLength(2 + 5);
    expect(md.stdout).toMatch(/^\| model \| params \| size \|/);
    const csv = await runMc(['report', results, '--format', 'csv', '--out', join(dir, 'r.csv')]);
    expect(csv.code).toBe(0);
    expect(readFileSync(join(dir, 'r.csv'), 'utf8').trim().split('\n')).toHaveLength(6);

    const empty = tempDir('mc-report-empty-');
    const none = await runMc(['report', empty]);
    expect([none.code, lines(none.stderr)]).toEqual([
      2,
      [expect.stringMatching(/^Error: no mc result files in .*\(hint: /)],
    ]);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"schema": "mc.result", "kind": "ev');
    const bad = await runMc(['report', results, broken]);
    expect([bad.code, lines(bad.stderr)]).toEqual([
      2,
      [expect.stringMatching(/^Error: .*broken\.json is not valid JSON/)],
    ]);
  });

  it('mc report --gate: 0 when every compressed row passes, 3 naming the failing rows, 2 for a figure no row has', async () => {
    // int8 keeps top-1 on the mini set; prune 0.9 does not
    const pass = await runMc(['report', results, '--format', 'csv', '--gate', 'size.ratio>0.5']);
    expect(pass.code).toBe(0);
    expect(pass.stderr).toMatch(/gate size\.ratio > 0.5 at int8: [\d.]+ pass/);
    const fail = await runMc(['report', results, '--format', 'csv', '--gate', 'accuracy.delta>=-0.05']);
    expect(fail.code).toBe(3);
    expect(fail.stderr).toMatch(/gate accuracy\.delta >= -0\.05 at prune sparsity=0\.9: -[\d.]+ FAIL/);
    expect(fail.stdout.trim().split('\n').length).toBeGreaterThan(1); // the report is still out
    const typo = await runMc(['report', results, '--gate', 'acuracy.delta>=0']);
    expect([typo.code, lines(typo.stderr)]).toEqual([
      2,
      [
        expect.stringMatching(
          /^Error: --gate acuracy\.delta>=0: no figure acuracy\.delta.*did you mean accuracy\.delta/,
        ),
      ],
    ]);
    expect(typo.stdout).toBe('');
  });
});

describeBrowser('the HTML report in a real headless chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    await sweepOnce();
    browser = await chromium.launch({ executablePath: browserFound.path, args: ['--no-sandbox', '--disable-gpu'] });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function render(html: string, shot: string): Promise<{ marks: number; tableRows: number; png: Buffer }> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    try {
      await page.goto(`file://${html}`);
      const marks = await page.locator(POINT_MARKS).count();
      const tableRows = await page.locator('#report tbody tr').count();
      const png = await page.screenshot({ path: shot, fullPage: true });
      return { marks, tableRows, png };
    } finally {
      await page.close();
    }
  }

  it("the sweep's report.html: one mark per point (dense included), the table, and a screenshot that is not blank", async () => {
    const r = await render(join(dir, 'sweep', 'report.html'), join(dir, 'sweep.png'));
    expect(r.marks).toBe(3);
    expect(r.tableRows).toBe(3);
    const ink = inkOf(r.png);
    expect(ink.ink).toBeGreaterThan(0.01 * ink.width * ink.height); // axes, labels, table
    expect(ink.coloured).toBeGreaterThan(100); // the series colours: the points were painted
  });

  it('mc report --format html --chart: 5 marks for 5 models in the page, and the PNG written beside the SVG is not blank either', async () => {
    const run = await runMc([
      'report',
      results,
      '--format',
      'html',
      '--out',
      join(dir, 'all.html'),
      '--chart',
      join(dir, 'chart'),
    ]);
    expect(run.code).toBe(0);
    const r = await render(join(dir, 'all.html'), join(dir, 'all.png'));
    expect(r.marks).toBe(5);
    expect(r.tableRows).toBe(5);
    expect(inkOf(r.png).coloured).toBeGreaterThan(100);
    const svg = readFileSync(join(dir, 'chart.svg'), 'utf8');
    expect(svg.match(/class="mark-symbol role-mark points_marks"[^>]*>(.*?)<\/g>/)?.[1].match(/<path/g)).toHaveLength(
      5,
    );
    const chart = inkOf(readFileSync(join(dir, 'chart.png')));
    expect(chart.coloured).toBeGreaterThan(100);
    expect(chart.ink).toBeGreaterThan(0.01 * chart.width * chart.height);
  });
});
