/** Line charts as inline SVG strings, drawn server-side with d3-node (no script needed to view them). */
import { D3Node } from 'd3-node';
import { UserError } from '../errors.ts';

export interface LineSeries {
  name: string;
  x: number[];
  y: number[];
  /** draw dashed (used for the random floor) */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  width?: number;
  height?: number;
}

const MARGIN = { top: 34, right: 200, bottom: 48, left: 62 };

/** A line chart with both axes, axis labels, a title and a legend, as a standalone `<svg>` string. */
export function lineChartSvg(options: LineChartOptions): string {
  const { title, xLabel, yLabel, series } = options;
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  if (series.length === 0) throw new UserError(`chart '${title}': no series to draw`);
  for (const s of series) {
    if (s.x.length !== s.y.length || s.x.length === 0) {
      throw new UserError(`chart '${title}': series '${s.name}' has ${s.x.length} x and ${s.y.length} y values`);
    }
  }
  const node = new D3Node();
  const d3 = node.d3;
  const svg = node.createSVG(width, height, { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' });
  svg.append('title').text(title);

  const finite = (v: number[]) => v.filter(Number.isFinite);
  const xs = series.flatMap((s) => finite(s.x));
  const ys = series.flatMap((s) => finite(s.y));
  const domain = (v: number[]): [number, number] => {
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  };
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const x = d3.scaleLinear().domain(domain(xs)).range([0, plotWidth]).nice();
  const y = d3.scaleLinear().domain(domain(ys)).range([plotHeight, 0]).nice();
  const plot = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);

  plot
    .append('g')
    .attr('class', 'axis x-axis')
    .attr('transform', `translate(0,${plotHeight})`)
    .call(d3.axisBottom(x).ticks(6));
  plot.append('g').attr('class', 'axis y-axis').call(d3.axisLeft(y).ticks(6));
  plot
    .append('text')
    .attr('class', 'axis-label x-label')
    .attr('x', plotWidth / 2)
    .attr('y', plotHeight + 38)
    .attr('text-anchor', 'middle')
    .text(xLabel);
  plot
    .append('text')
    .attr('class', 'axis-label y-label')
    .attr('transform', `translate(${-46},${plotHeight / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(yLabel);
  svg
    .append('text')
    .attr('class', 'chart-title')
    .attr('x', MARGIN.left + plotWidth / 2)
    .attr('y', 20)
    .attr('text-anchor', 'middle')
    .text(title);

  const colours = d3.schemeTableau10;
  const legend = svg
    .append('g')
    .attr('class', 'legend')
    .attr('transform', `translate(${width - MARGIN.right + 14},${MARGIN.top})`);
  series.forEach((s, i) => {
    const colour = s.dashed ? '#777' : colours[i % colours.length];
    const points = s.x
      .map((xv, k): [number, number] => [xv, s.y[k]])
      .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    const path = plot
      .append('path')
      .attr('class', 'series')
      .attr('data-series', s.name)
      .attr('fill', 'none')
      .attr('stroke', colour)
      .attr('stroke-width', 2)
      .attr(
        'd',
        d3
          .line()
          .x(([a]) => x(a))
          .y(([, b]) => y(b))(points) ?? '',
      );
    if (s.dashed) path.attr('stroke-dasharray', '5,4');
    const entry = legend.append('g').attr('transform', `translate(0,${i * 18})`);
    const swatch = entry
      .append('line')
      .attr('x1', 0)
      .attr('x2', 22)
      .attr('y1', 0)
      .attr('y2', 0)
      .attr('stroke', colour)
      .attr('stroke-width', 2);
    if (s.dashed) swatch.attr('stroke-dasharray', '5,4');
    entry.append('text').attr('x', 28).attr('y', 4).style('font-size', '12px').text(s.name);
  });
  return node.svgString();
}
