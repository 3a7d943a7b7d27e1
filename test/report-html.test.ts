import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { D3Node } from 'd3-node';
import { initRuntime } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { escapeHtml, html, jsonForScript } from '../src/report/html.ts';
import { REPORT_CSS } from '../src/report/page-assets.ts';
import { areaTable } from '../src/metrics/pixel-flipping.ts';
import type { ReportData } from '../src/report/report-data.ts';
import { renderReportHtml, writeReport } from '../src/report/report.ts';
import { SIDE, syntheticReport } from './report-fixture.ts';

/** Parse with jsdom (carried by d3-node); scripts are not run. */
function parse(page: string): Document {
  return new D3Node({ container: page }).document;
}

function decodePng(src: string): PNG {
  const prefix = 'data:image/png;base64,';
  expect(src.startsWith(prefix)).toBe(true);
  return PNG.sync.read(Buffer.from(src.slice(prefix.length), 'base64'));
}

/** Diverging colour written independently of heatmap.ts: white → red for t > 0, white → blue for t < 0. */
function expectedColour(t: number): number[] {
  const fade = 255 * (1 - Math.abs(t));
  return t >= 0 ? [255, fade, fade] : [fade, fade, 255];
}

let data: ReportData;
let doc: Document;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  data = await syntheticReport();
  doc = parse(renderReportHtml(data, { upscale: 3 }));
});

describe('HTML report structure', () => {
  it('has every section, the run facts and OC-DTD as the first method column', () => {
    for (const id of ['run', 'outliers', 'flipping', 'classifier', 'clusters'])
      expect(doc.getElementById(id), id).not.toBeNull();
    const run = doc.getElementById('run')!.textContent!;
    for (const fact of ['synthetic', 'gaussian', '0.1', '0.05', '1.25', '0.875', 'normal class'])
      expect(run).toContain(fact);
    const headers = [...doc.querySelectorAll('#outliers th')].map((th) => th.textContent);
    expect(headers).toEqual(['sample', 'image', 'OC-DTD', 'sensitivity', 'gradient×input']);
    expect(doc.querySelectorAll('#outliers tr.outlier-row').length).toBe(3);
    expect(doc.querySelector('#outliers tr.outlier-row')!.textContent).toContain('o(x) = 3');
  });

  it('every image is a PNG data URI that decodes to its declared size; no external resource', () => {
    const images = [...doc.querySelectorAll('img')];
    // 3 colour bars + 3 outliers × (1 + 3) + 2 classifier rows × (1 + 2) + 3 cluster samples × 2
    expect(images.length).toBe(3 + 12 + 6 + 6);
    for (const img of images) {
      const png = decodePng(img.getAttribute('src')!);
      expect(png.width).toBe(Number(img.getAttribute('width')));
      expect(png.height).toBe(Number(img.getAttribute('height')));
    }
    const page = doc.documentElement.outerHTML;
    expect(page).not.toMatch(/(src|href)\s*=\s*"(https?:|\/\/)/);
    expect(doc.querySelectorAll('link[rel=stylesheet], script[src]').length).toBe(0);
  });

  it('a heat map shows its own map on a symmetric red/white/blue scale, and embeds its exact values', () => {
    const img = doc.querySelector('#outliers img.heat[data-method="OC-DTD"]')!;
    const values = data.outliers[0].maps.find((m) => m.method === 'OC-DTD')!.values;
    const max = Math.max(...[...values].map(Math.abs));
    const png = decodePng(img.getAttribute('src')!);
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const at = (r * 3 * png.width + c * 3) * 4; // upscale 3: top-left of each block
        const want = expectedColour(values[r * SIDE + c] / max);
        [0, 1, 2].forEach((k) => expect(Math.abs(png.data[at + k] - want[k])).toBeLessThanOrEqual(1));
      }
    }
    const maps = JSON.parse(doc.getElementById('map-data')!.textContent!);
    const entry = maps[Number(img.getAttribute('data-map'))];
    expect(entry).toMatchObject({ w: SIDE, h: SIDE, index: 100, method: 'OC-DTD' });
    expect(new Float32Array(new Uint8Array(Buffer.from(entry.b64, 'base64')).buffer)).toEqual(values);
  });

  it('flipping charts have axes, labels, one path per method plus random, and the area tables follow the results', () => {
    const charts = [...doc.querySelectorAll('svg.chart')];
    expect(charts.length).toBe(2);
    const expectedSeries = [
      ['sensitivity', 'OC-DTD', 'gradient×input', 'random'],
      ['LRP ε', 'integrated gradients', 'random'],
    ];
    charts.forEach((chart, k) => {
      expect(chart.querySelectorAll('.x-axis .tick').length).toBeGreaterThanOrEqual(2);
      expect(chart.querySelectorAll('.y-axis .tick').length).toBeGreaterThanOrEqual(2);
      expect(chart.querySelector('.x-label')!.textContent).toContain('patches flipped');
      expect(chart.querySelector('.y-label')!.textContent).toContain('starting score');
      const paths = [...chart.querySelectorAll('path.series')];
      expect(paths.map((p) => p.getAttribute('data-series'))).toEqual(expectedSeries[k]);
      for (const p of paths) expect(p.getAttribute('d')).toMatch(/^M[\d.,L-]+$/);
      expect([...chart.querySelectorAll('.legend text')].map((t) => t.textContent)).toEqual(expectedSeries[k]);
    });
    const rows = [...doc.querySelectorAll('#flipping table.area-table tr')].slice(1);
    const table = areaTable(data.outlierFlipping!);
    expect(rows.map((r) => r.querySelector('td')!.textContent)).toEqual(table.map((t) => t.method));
    rows.forEach((r, i) => expect(Number(r.querySelectorAll('td')[1].textContent)).toBeCloseTo(table[i].meanArea, 3));
    const classifierCaptions = doc.querySelectorAll('#classifier tr.classifier-row')[1].textContent!;
    const area = data.classifier!.flipping!.curves.find((c) => c.method === 'LRP ε')!.areas[1];
    expect(classifierCaptions).toContain(`flip area ${Number(area.toPrecision(3))}`);
  });

  it('writes atomically and rejects a map of the wrong size with a UserError naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oc-report-'));
    const path = join(dir, 'sub', 'report.html');
    await writeReport(path, data);
    expect(await readdir(join(dir, 'sub'))).toEqual(['report.html']);
    expect(await readFile(path, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const broken: ReportData = {
      ...data,
      outliers: [{ ...data.outliers[0], maps: [{ method: 'short', values: new Float32Array(5) }] }],
    };
    expect(() => renderReportHtml(broken)).toThrow(UserError);
    expect(() => renderReportHtml(broken)).toThrow(/outlier row 0 \(sample 100\), method 'short'/);
  });
});

describe('escaping', () => {
  it('escapeHtml, the html template and JSON for a script element', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html`<td>${'<b>'}</td>${['<i>', html`<u>`]}`.value).toBe('<td>&lt;b&gt;</td>&lt;i&gt;<u>');
    expect(jsonForScript({ s: '</script><script>' }).value).not.toContain('<');
    expect(JSON.parse(jsonForScript({ s: '</script>' }).value)).toEqual({ s: '</script>' });
  });

  it('direction controls in a name are shown as code points, so they cannot reorder the page', () => {
    const name = 'cat\u202egpj.exe\u2066x\u2069\u200f';
    expect(escapeHtml(name)).toBe('cat⟨U+202E⟩gpj.exe⟨U+2066⟩x⟨U+2069⟩⟨U+200F⟩');
    expect(html`<td>${name}</td>`.value).not.toMatch(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  });

  it('very long names wrap inside their cell instead of widening the page', () => {
    expect(REPORT_CSS).toMatch(/th, td, h1, h3, \.caption \{ overflow-wrap: anywhere; \}/);
    expect(REPORT_CSS).toMatch(/table\.grid td:first-child \{ max-width: 14em; \}/);
  });

  it('markup in labels, method names, titles and cluster names renders as text, never as elements', async () => {
    const evil = '<script>alert(1)</script>';
    const attr = '"><img src=x onerror=alert(1)>';
    const base = await syntheticReport(evil);
    const tainted: ReportData = {
      ...base,
      run: { ...base.run, title: evil, data: attr, details: [{ name: evil, value: attr }] },
      outliers: base.outliers.map((row) => ({
        ...row,
        maps: row.maps.map((m, k) => (k === 0 ? { ...m, method: attr } : m)),
      })),
      clusters: base.clusters!.map((c) => ({ ...c, cluster: evil })),
      // chart legends and data attributes of the SVG too
      outlierFlipping: {
        ...base.outlierFlipping!,
        curves: base.outlierFlipping!.curves.map((c, k) => ({
          ...c,
          method: k === 0 ? evil : k === 1 ? attr : c.method,
        })),
      },
    };
    const page = renderReportHtml(tainted);
    const parsed = parse(page);
    expect(parsed.querySelectorAll('script').length).toBe(2); // the JSON data and the hover script
    expect(parsed.querySelectorAll('img').length).toBe(27);
    for (const img of parsed.querySelectorAll('img'))
      expect(img.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(parsed.querySelectorAll('[onerror]').length).toBe(0);
    expect(parsed.querySelector('tr.outlier-row')!.textContent).toContain(`label ${evil}`);
    expect(parsed.querySelector('h1')!.textContent).toBe(evil);
    expect(parsed.querySelector('#run')!.textContent).toContain(attr);
    expect([...parsed.querySelectorAll('#outliers th')].map((t) => t.textContent)).toContain(attr);
    expect(parsed.querySelector('.cluster h3')!.textContent).toContain(evil);
    const maps = JSON.parse(parsed.getElementById('map-data')!.textContent!);
    expect(maps.map((m: { method: string }) => m.method)).toContain(attr);
    const legend = [...parsed.querySelectorAll('#flipping .legend text')].map((t) => t.textContent);
    expect(legend.slice(0, 2)).toEqual([evil, attr]);
    expect(parsed.querySelector('#flipping path.series')!.getAttribute('data-series')).toBe(evil);
  });
});
