/** The small part of d3-node (and the d3 it carries) that the report charts use; the package ships no types. */
declare module 'd3-node' {
  export interface Selection {
    attr(name: string, value: string | number): Selection;
    style(name: string, value: string | number): Selection;
    append(tag: string): Selection;
    text(value: string): Selection;
    call(fn: (selection: Selection) => void): Selection;
    selectAll(selector: string): Selection;
    node(): Element | null;
  }
  export interface LinearScale {
    (value: number): number;
    domain(values: [number, number]): LinearScale;
    range(values: [number, number]): LinearScale;
    nice(): LinearScale;
  }
  export interface Axis {
    (selection: Selection): void;
    ticks(count: number): Axis;
    tickFormat(format: (value: number) => string): Axis;
  }
  export interface Line {
    (points: Array<[number, number]>): string | null;
    x(fn: (point: [number, number]) => number): Line;
    y(fn: (point: [number, number]) => number): Line;
  }
  export interface D3 {
    scaleLinear(): LinearScale;
    axisBottom(scale: LinearScale): Axis;
    axisLeft(scale: LinearScale): Axis;
    line(): Line;
    schemeTableau10: readonly string[];
  }
  export class D3Node {
    constructor(options?: { container?: string; selector?: string; styles?: string });
    d3: D3;
    document: Document;
    createSVG(width: number, height: number, attrs?: Record<string, string | number>): Selection;
    svgString(): string;
  }
}
