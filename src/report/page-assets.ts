/** The report's inline style sheet and its one small script (hover read-out of heat-map values). */

export const REPORT_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 3px 8px; text-align: left; vertical-align: top; }
th, td, h1, h3, .caption { overflow-wrap: anywhere; } /* a very long name or path wraps instead of widening the page */
table.grid td:first-child { max-width: 14em; }
table.info th { color: #555; font-weight: normal; }
table.numbers td, table.numbers th { border-bottom: 1px solid #eee; }
table.numbers td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.numbers td.best { font-weight: bold; }
table.numbers caption { text-align: left; color: #444; padding: 6px 0; }
.grid-wrap { overflow-x: auto; }
table.grid td { text-align: center; font-size: 12px; }
table.grid img, .cluster img { image-rendering: pixelated; display: block; margin: 0 auto; }
img.heat { cursor: crosshair; }
.caption { color: #666; font-size: 11px; }
tr.group-row th { text-align: left; background: #f4f4f4; font-size: 13px; }
.name { color: #555; font-size: 11px; word-break: break-all; }
.colour-bar { display: flex; align-items: center; gap: 6px; font-size: 12px; color: #555; }
.cluster { display: inline-block; margin: 0 18px 12px 0; vertical-align: top; }
.cluster-samples { display: flex; gap: 6px; }
svg.chart { max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
.axis-label, .chart-title { font-size: 12px; fill: #333; }
#tooltip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #888; border-radius: 3px;
  padding: 3px 6px; font-size: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.2); white-space: nowrap; }
footer { margin-top: 40px; color: #888; font-size: 12px; }
`;

/**
 * Reads the maps embedded as JSON (base64 float32) and shows, under the pointer, the exact value of
 * the heat-map pixel, the sample's index and the method. Works from file:// (no fetch).
 */
export const HOVER_SCRIPT = `
(function () {
  var maps = JSON.parse(document.getElementById('map-data').textContent);
  var decoded = [];
  function values(k) {
    if (!decoded[k]) {
      var bin = atob(maps[k].b64), bytes = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      decoded[k] = new Float32Array(bytes.buffer);
    }
    return decoded[k];
  }
  // shortest decimal that reads back as the same float32
  function exact(v) {
    for (var p = 1; p <= 9; p++) {
      var s = Number(v.toPrecision(p));
      if (Math.fround(s) === v) return String(s);
    }
    return String(v);
  }
  var tip = document.getElementById('tooltip');
  function field(name, text) { tip.querySelector('.tip-' + name).textContent = text; }
  document.addEventListener('mousemove', function (e) {
    var img = e.target;
    if (!(img instanceof HTMLImageElement) || !img.hasAttribute('data-map')) { tip.hidden = true; return; }
    var k = Number(img.getAttribute('data-map')), m = maps[k], rect = img.getBoundingClientRect();
    var col = Math.max(0, Math.min(m.w - 1, Math.floor((e.clientX - rect.left) / rect.width * m.w)));
    var row = Math.max(0, Math.min(m.h - 1, Math.floor((e.clientY - rect.top) / rect.height * m.h)));
    field('index', String(m.index));
    field('method', m.method);
    field('pixel', row + ', ' + col);
    field('value', exact(values(k)[row * m.w + col]));
    tip.style.left = (e.pageX + 14) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
    tip.hidden = false;
  });
})();
`;
