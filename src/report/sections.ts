/** The report's sections, each a function of its slice of ReportData → escaped HTML. */
import { renderColourBar, renderInput, renderRelevance, symmetricScale } from '../explain/heatmap.ts';
import { lineChartSvg } from './charts.ts';
import { formatNumber, html, raw, type SafeHtml } from './html.ts';
import { float32ToBase64, rgbaToDataUri } from './images.ts';
import { outlineMask } from './mask-outline.ts';
import { areaTable, RANDOM_METHOD, type PixelFlippingResult } from '../metrics/pixel-flipping.ts';
import {
  orderMethods,
  type ClassifierSection,
  type ClusterExplanation,
  type MethodMap,
  type OutlierRow,
  type PlantedSection,
  type RunInfo,
  type SampleImage,
} from './report-data.ts';

/** A map the hover script can read: its exact values travel as base64 float32 in the page. */
export interface EmbeddedMap {
  w: number;
  h: number;
  index: number;
  method: string;
  b64: string;
}

/** Shared by the sections of one page: image enlargement and the table of embedded maps. */
export class PageContext {
  readonly maps: EmbeddedMap[] = [];
  constructor(readonly upscale: number) {}

  sampleImage(image: SampleImage, alt: string): SafeHtml {
    const rgba = renderInput(image.pixels, [image.height, image.width, image.channels], { upscale: this.upscale });
    return html`<img src="${rgbaToDataUri(rgba)}" width="${rgba.width}" height="${rgba.height}" alt="${alt}">`;
  }

  /** The image with the border of `mask` outlined, as the mask sections draw it: where an anomaly was planted. */
  maskedImage(image: SampleImage, mask: Uint8Array, alt: string): SafeHtml {
    const input = renderInput(image.pixels, [image.height, image.width, image.channels], { upscale: this.upscale });
    const rgba = outlineMask(input, mask, image.height, image.width);
    return html`<img src="${rgbaToDataUri(rgba)}" width="${rgba.width}" height="${rgba.height}" alt="${alt}">`;
  }

  /** A heat map (symmetric red/blue scale of its own max |R|) with its scale as caption. */
  heatMap(values: Float32Array, image: SampleImage, index: number, method: string): SafeHtml {
    const rgba = renderRelevance(values, image.height, image.width, { upscale: this.upscale });
    const k = this.maps.push({ w: image.width, h: image.height, index, method, b64: float32ToBase64(values) }) - 1;
    return html`<img class="heat" src="${rgbaToDataUri(rgba)}" width="${rgba.width}" height="${rgba.height}"
      data-map="${k}" data-index="${index}" data-method="${method}" alt="${method} relevance of sample ${index}">
      <div class="caption">±${formatNumber(symmetricScale(values), 3)}</div>`;
  }
}

function colourBar(): SafeHtml {
  return html`<div class="colour-bar"><span>−max |R|</span><img src="${rgbaToDataUri(renderColourBar(200, 12))}"
    width="200" height="12" alt="colour scale: blue negative, white zero, red positive"><span>+max |R|</span>
    <span>(each map scaled by its own max |R|, shown under it; red = positive, blue = negative)</span></div>`;
}

export function runSection(run: RunInfo): SafeHtml {
  const rows: Array<[string, string]> = [
    ['data', run.data],
    ['training samples', String(run.nTrain)],
    ...(run.nTest !== undefined ? [['test samples', String(run.nTest)] as [string, string]] : []),
    ['features', run.features],
    ['kernel', run.kernel],
    ['ν', formatNumber(run.nu)],
    ...(run.gamma !== undefined ? [['γ', formatNumber(run.gamma)] as [string, string]] : []),
    ...(run.nSupportVectors !== undefined
      ? [['support vectors', String(run.nSupportVectors)] as [string, string]]
      : []),
    ...(run.threshold !== undefined
      ? [['threshold θ (outlier iff o(x) > θ)', formatNumber(run.threshold)] as [string, string]]
      : []),
    ['training time', `${formatNumber(run.trainingSeconds, 3)} s`],
    [
      'ROC AUC',
      run.rocAuc === undefined || run.rocAuc === null
        ? '— (needs labels and --normal classes)'
        : formatNumber(run.rocAuc),
    ],
    ...(run.details ?? []).map(({ name, value }): [string, string] => [name, value]),
  ];
  const models = run.models?.length
    ? html`<details><summary>one SVM per class: samples, support vectors, γ, θ</summary><table class="numbers">
      <tr><th>class</th><th>samples</th><th>support vectors</th><th>γ</th><th>θ</th></tr>
      ${run.models.map(
        (m) => html`<tr><td>${m.className}</td><td class="num">${m.nTrain}</td><td class="num">${m.nSupportVectors}</td>
          <td class="num">${formatNumber(m.gamma)}</td><td class="num">${formatNumber(m.threshold)}</td></tr>`,
      )}</table></details>`
    : '';
  return html`<section id="run"><h2>The run</h2><table class="info">
    ${rows.map(([name, value]) => html`<tr><th>${name}</th><td>${value}</td></tr>`)}</table>${models}</section>`;
}

function mapCell(
  ctx: PageContext,
  maps: MethodMap[],
  method: string,
  image: SampleImage,
  index: number,
  note?: string,
): SafeHtml {
  const map = maps.find((m) => m.method === method);
  if (!map) return html`<td class="caption">–</td>`;
  return html`<td>${ctx.heatMap(map.values, image, index, method)}${note ? html`<div class="caption">${note}</div>` : ''}</td>`;
}

/** The facts of one outlier: rank, index, name, label, planted artefact, o(x), f(x). */
function outlierFacts(row: OutlierRow): SafeHtml {
  return html`${row.rank !== undefined ? html`rank ${row.rank}<br>` : ''}#${row.index}${row.name ? html`<br><span class="name">${row.name}</span>` : ''}
    <br>label ${row.label ?? '–'}${row.planted ? html`<br>planted: ${row.planted.type ?? 'none'}` : ''}
    <br>o(x) = ${formatNumber(row.outlierness)}<br>f(x) = ${formatNumber(row.decision)}`;
}

/** Rows of samples with every method's map (and the planted mask when there is one), headed by their group. */
function outlierGrid(ctx: PageContext, rows: OutlierRow[]): SafeHtml {
  const methods = orderMethods(rows.flatMap((r) => r.maps.map((m) => m.method)));
  const masks = rows.some((r) => r.planted);
  const columns = 2 + (masks ? 1 : 0) + methods.length;
  return html`<div class="grid-wrap"><table class="grid">
    <tr><th>sample</th><th>image</th>${masks ? html`<th>planted mask</th>` : ''}${methods.map((m) => html`<th>${m}</th>`)}</tr>
    ${rows.map(
      (
        row,
        r,
      ) => html`${row.group !== undefined && row.group !== rows[r - 1]?.group ? html`<tr class="group-row"><th colspan="${columns}">${row.group}</th></tr>` : ''}
        <tr class="outlier-row"><td>${outlierFacts(row)}</td><td>${ctx.sampleImage(row.image, `sample ${row.index}`)}</td>
        ${masks ? html`<td>${row.planted?.type ? ctx.maskedImage(row.image, row.planted.mask, `planted ${row.planted.type} in sample ${row.index}`) : html`<span class="caption">–</span>`}</td>` : ''}
        ${methods.map((m) => mapCell(ctx, row.maps, m, row.image, row.index))}</tr>`,
    )}</table></div>`;
}

export function outlierSection(ctx: PageContext, rows: OutlierRow[]): SafeHtml {
  if (rows.length === 0) return html`<section id="outliers"><h2>Top outliers</h2><p>No outlier to show.</p></section>`;
  const perClass = rows.some((r) => r.group !== undefined);
  return html`<section id="outliers"><h2>Top outliers${perClass ? ' of each class' : ''}</h2>
    ${perClass ? html`<p>Each sample is ranked by the SVM of its own class, and explained by it.</p>` : ''}${colourBar()}${outlierGrid(ctx, rows)}</section>`;
}

export function plantedSection(ctx: PageContext, section: PlantedSection | null | undefined): SafeHtml {
  if (!section) return html``;
  return html`<section id="planted"><h2>Planted anomalies</h2><p>${section.description}</p>
    <table class="info">${section.detection.map(({ name, value }) => html`<tr><th>${name}</th><td>${value}</td></tr>`)}</table>
    ${section.rows.length ? html`${colourBar()}${outlierGrid(ctx, section.rows)}` : ''}</section>`;
}

function flippingChart(result: PixelFlippingResult, title: string): SafeHtml {
  return raw(
    lineChartSvg({
      title,
      xLabel: `fraction of ${result.patchSize}×${result.patchSize} patches flipped (reference: ${result.reference})`,
      yLabel: result.normalize === 'span' ? '(score − end) / (start − end), mean' : 'score / starting score (mean)',
      series: result.curves.map((c) => ({
        name: c.method,
        x: result.fractions,
        y: c.meanNormalized,
        dashed: c.method === RANDOM_METHOD,
      })),
    }),
  );
}

function areaTableHtml(result: PixelFlippingResult): SafeHtml {
  return html`<table class="numbers area-table"><tr><th>method</th><th>area (mean)</th><th>std</th><th>samples</th></tr>
    ${areaTable(result).map(
      (r) => html`<tr><td>${r.method}</td><td class="num">${formatNumber(r.meanArea)}</td>
        <td class="num">${formatNumber(r.stdArea)}</td><td class="num">${r.nSamples}</td></tr>`,
    )}</table>
    <details><summary>per-sample areas</summary><table class="numbers"><tr><th>method</th>
    ${result.curves[0].areas.map((_, i) => html`<th>${result.samples ? `#${result.samples[i]}` : i}</th>`)}</tr>
    ${result.curves.map((c) => html`<tr><td>${c.method}</td>${c.areas.map((a) => html`<td class="num">${formatNumber(a, 3)}</td>`)}</tr>`)}
    </table></details>`;
}

export function flippingSection(result: PixelFlippingResult | null | undefined): SafeHtml {
  if (!result) return html``;
  return html`<section id="flipping"><h2>Pixel flipping of the outlier explanations</h2>
    <p>Patches are replaced most relevant first; the score is o(x), divided by its starting value. A faster fall
    (smaller area) is a better explanation; the dashed line is a random order.</p>
    ${flippingChart(result, 'Outlier explanations: o(x) while flipping')}${areaTableHtml(result)}</section>`;
}

export function classifierSection(ctx: PageContext, section: ClassifierSection | null | undefined): SafeHtml {
  if (!section) return html``;
  const methods = orderMethods(section.rows.flatMap((r) => r.maps.map((m) => m.method)));
  return html`<section id="classifier"><h2>Classifier explanations</h2>
    ${section.description ? html`<p>${section.description}</p>` : ''}${colourBar()}
    <div class="grid-wrap"><table class="grid"><tr><th>sample</th><th>image</th>${methods.map((m) => html`<th>${m}</th>`)}</tr>
    ${section.rows.map(
      (
        row,
      ) => html`<tr class="classifier-row"><td>#${row.index}<br>label ${row.label ?? '–'}<br>predicted ${row.predicted}
        <br>logit ${formatNumber(row.logit)}</td><td>${ctx.sampleImage(row.image, `sample ${row.index}`)}</td>
        ${methods.map((m) => {
          const area = row.areas?.[m];
          return mapCell(
            ctx,
            row.maps,
            m,
            row.image,
            row.index,
            area === undefined ? undefined : `flip area ${formatNumber(area, 3)}`,
          );
        })}</tr>`,
    )}</table></div>
    ${section.flipping ? html`${flippingChart(section.flipping, 'Classifier explanations: logit while flipping')}${areaTableHtml(section.flipping)}` : ''}
    </section>`;
}

export function clusterSection(ctx: PageContext, clusters: ClusterExplanation[] | null | undefined): SafeHtml {
  if (!clusters || clusters.length === 0) return html``;
  return html`<section id="clusters"><h2>Cluster explanations (NEON)</h2>${colourBar()}
    ${clusters.map(
      (c) => html`<div class="cluster"><h3>cluster ${c.cluster} <span class="caption">(${c.size} samples)</span></h3>
        <div class="cluster-samples">${c.samples.map(
          (
            s,
          ) => html`<div>${ctx.sampleImage(s.image, `sample ${s.index}`)}${ctx.heatMap(s.map, s.image, s.index, `NEON ${c.cluster}`)}
            <div class="caption">#${s.index} ${s.label ?? ''}</div></div>`,
        )}</div></div>`,
    )}</section>`;
}
