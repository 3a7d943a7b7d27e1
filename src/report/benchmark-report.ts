/**
 * The HTML page of the anomaly benchmark: what was run, the score tables (localisation, precision,
 * flipping, detection, how far each variant's output is from o(x)), and per anomaly type a few
 * samples with the mask outlined on the image and on every method's map.
 */
import { html } from './html.ts';
import { maskedExamplesHtml, scoreTableHtml } from './mask-sections.ts';
import type { MaskedExample, ScoreTable } from './report-data.ts';
import { pageHtml, type ReportOptions } from './report.ts';
import { PageContext } from './sections.ts';

export interface BenchmarkReportData {
  title: string;
  /** paragraphs of plain text: the settings, how to read the tables */
  summary: string[];
  tables: ScoreTable[];
  /** examples grouped under a heading each (one group per anomaly type) */
  exampleGroups: Array<{ heading: string; examples: MaskedExample[] }>;
  generatedAt?: string;
}

export function renderBenchmarkHtml(data: BenchmarkReportData, options: ReportOptions = {}): string {
  const ctx = new PageContext(options.upscale ?? 3);
  const body = html`<section id="settings">${data.summary.map((p) => html`<p>${p}</p>`)}</section>
    <section id="scores"><h2>Scores</h2>${data.tables.map(scoreTableHtml)}</section>
    <section id="examples"><h2>Samples, mask outlined in green</h2>
    ${data.exampleGroups.map((g) => html`<h3>${g.heading}</h3>${maskedExamplesHtml(ctx, g.examples)}`)}</section>`;
  return pageHtml(data.title, body, ctx, data.generatedAt);
}
