/**
 * Report sections for explanations scored against ground-truth masks (planted anomalies, or the
 * user's own masks): tables of scores, and samples with the mask outlined on the image and on every
 * method's map.
 */
import { renderRelevance } from '../explain/heatmap.ts';
import { html, type SafeHtml } from './html.ts';
import { float32ToBase64, rgbaToDataUri } from './images.ts';
import type { MaskScores, MaskedExample, ScoreTable } from './report-data.ts';
import type { PageContext } from './sections.ts';
import { outlineMask } from './mask-outline.ts';

export function scoreTableHtml(table: ScoreTable): SafeHtml {
  const best = new Set((table.best ?? []).map(([r, c]) => `${r},${c}`));
  return html`<table class="numbers"><caption>${table.caption}</caption>
    <tr>${table.header.map((h) => html`<th>${h}</th>`)}</tr>
    ${table.rows.map(
      (row, r) =>
        html`<tr>${row.map((cell, c) =>
          c === 0
            ? html`<td>${cell}</td>`
            : html`<td class="${best.has(`${r},${c}`) ? 'num best' : 'num'}">${cell}</td>`,
        )}</tr>`,
    )}</table>`;
}

/** One row per example: the image with its mask outlined, then each method's map, outlined too. */
export function maskedExamplesHtml(ctx: PageContext, examples: MaskedExample[]): SafeHtml {
  if (examples.length === 0) return html``;
  const methods = [...new Set(examples.flatMap((e) => e.maps.map((m) => m.method)))];
  const k = ctx.upscale;
  return html`<div class="grid-wrap"><table class="grid">
    <tr><th>sample</th><th>image, mask</th>${methods.map((m) => html`<th>${m}</th>`)}</tr>
    ${examples.map((e) => {
      const { height, width } = e.image;
      return html`<tr><td>${e.caption}</td><td>${ctx.maskedImage(e.image, e.mask, `${e.caption}, mask outlined`)}</td>
        ${methods.map((method) => {
          const map = e.maps.find((m) => m.method === method);
          if (!map) return html`<td class="caption">–</td>`;
          const at =
            ctx.maps.push({ w: width, h: height, index: e.index, method, b64: float32ToBase64(map.values) }) - 1;
          const rgba = outlineMask(renderRelevance(map.values, height, width, { upscale: k }), e.mask, height, width);
          return html`<td><img class="heat" src="${rgbaToDataUri(rgba)}" width="${rgba.width}" height="${rgba.height}"
            data-map="${at}" data-index="${e.index}" data-method="${method}" alt="${method} relevance of ${e.caption}"></td>`;
        })}</tr>`;
    })}</table></div>`;
}

/** The scores of the maps against the user's masks, in the run report. */
export function maskSection(ctx: PageContext, masks: MaskScores | null | undefined): SafeHtml {
  if (!masks) return html``;
  return html`<section id="masks"><h2>Explanations against the ground-truth masks</h2>
    <p>Pixel ROC AUC: the chance that a pixel inside the mask is more relevant than one outside (ties count ½; 0.5 is
    chance). Precision: the share of the |mask| most relevant pixels that lie inside. Mask outlines in green.</p>
    ${masks.tables.map(scoreTableHtml)}${maskedExamplesHtml(ctx, masks.examples)}</section>`;
}
