/**
 * latency.svg: p50 (solid) and p99 (dashed) latency of each list scenario versus dataset size, both
 * axes logarithmic. A plain SVG string; no plotting library.
 */

export interface LatencySeries {
  label: string;
  /** One point per dataset size. */
  points: { size: number; p50: number; p99: number }[];
  /** Sizes at which no request completed within the load generator's timeout (drawn as ✕ on the top edge). */
  timedOut?: number[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const WIDTH = 860;
const HEIGHT = 480;
const MARGIN = { left: 70, right: 250, top: 40, bottom: 56 };

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const formatSize = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const formatMs = (ms: number) => (ms >= 1 ? String(Math.round(ms)) : String(ms));

export function latencySvg(series: LatencySeries[], title: string, targetMs?: number): string {
  const sizes = [...new Set(series.flatMap((s) => [...s.points.map((p) => p.size), ...(s.timedOut ?? [])]))].sort((a, b) => a - b);
  const values = [...series.flatMap((s) => s.points.flatMap((p) => [p.p50, p.p99])), ...(targetMs ? [targetMs] : [])].filter((v) => v > 0);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  if (sizes.length === 0 || values.length === 0) {
    out.push(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no results yet</text></svg>`);
    return out.join('\n');
  }

  // x: log10 of the size, half a decade of padding when there is a single size.
  let xMin = Math.log10(sizes[0]);
  let xMax = Math.log10(sizes[sizes.length - 1]);
  if (xMax - xMin < 1e-9) {
    xMin -= 0.5;
    xMax += 0.5;
  } else {
    const pad = (xMax - xMin) * 0.06;
    xMin -= pad;
    xMax += pad;
  }
  // y: log10 of milliseconds, whole decades around the data.
  const yMin = Math.floor(Math.log10(Math.min(...values)));
  const yMax = Math.max(yMin + 1, Math.ceil(Math.log10(Math.max(...values))));
  const x = (size: number) => MARGIN.left + ((Math.log10(size) - xMin) / (xMax - xMin)) * plotW;
  const y = (ms: number) => MARGIN.top + plotH - ((Math.log10(Math.max(ms, 10 ** yMin)) - yMin) / (yMax - yMin)) * plotH;

  // Grid and axes.
  for (let d = yMin; d <= yMax; d++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (Math.log10(v) > yMax + 1e-9) continue;
      const yy = y(v).toFixed(1);
      out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
      out.push(
        `<text x="${MARGIN.left - 6}" y="${yy}" dy="4" text-anchor="end" fill="${m === 1 ? '#000' : '#888'}">${formatMs(Number(v.toPrecision(2)))}</text>`,
      );
    }
  }
  for (const size of sizes) {
    const xx = x(size).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#ddd"/>`);
    out.push(`<text x="${xx}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${formatSize(size)}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#000"/>`);
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">projects in the database (log scale)</text>`);
  out.push(`<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency, ms (log scale)</text>`);

  if (targetMs) {
    const yy = y(targetMs).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="#555" stroke-width="1" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${MARGIN.left + plotW - 4}" y="${yy}" dy="-4" text-anchor="end" fill="#555">target p99 ${targetMs} ms</text>`);
  }

  // Lines.
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = [...s.points].sort((a, b) => a.size - b.size);
    for (const [key, dash] of [
      ['p50', ''],
      ['p99', ' stroke-dasharray="6 4"'],
    ] as const) {
      const coords = points.map((p) => `${x(p.size).toFixed(1)},${y(p[key]).toFixed(1)}`);
      if (coords.length > 1) out.push(`<polyline points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
      for (const p of points) {
        const cx = x(p.size).toFixed(1);
        const cy = y(p[key]).toFixed(1);
        out.push(
          key === 'p50'
            ? `<circle cx="${cx}" cy="${cy}" r="3.5" fill="${color}"><title>${escapeXml(s.label)} p50 ${p.p50} ms at ${p.size}</title></circle>`
            : `<rect x="${Number(cx) - 3}" y="${Number(cy) - 3}" width="6" height="6" fill="white" stroke="${color}" stroke-width="1.5"><title>${escapeXml(s.label)} p99 ${p.p99} ms at ${p.size}</title></rect>`,
        );
      }
    }
    for (const size of s.timedOut ?? []) {
      const cx = x(size) + (i - series.length / 2) * 5;
      const cy = MARGIN.top + 8;
      out.push(
        `<path d="M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx - 4},${cy + 4} L${cx + 4},${cy - 4}" stroke="${color}" stroke-width="2.5"><title>${escapeXml(s.label)}: timed out at ${size}</title></path>`,
      );
    }
  });

  // Legend.
  const lx = MARGIN.left + plotW + 16;
  let ly = MARGIN.top + 6;
  out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="#000" stroke-width="2"/><text x="${lx + 34}" y="${ly + 4}">p50</text>`);
  out.push(
    `<line x1="${lx + 80}" x2="${lx + 108}" y1="${ly}" y2="${ly}" stroke="#000" stroke-width="2" stroke-dasharray="6 4"/><text x="${lx + 114}" y="${ly + 4}">p99</text>`,
  );
  ly += 20;
  if (series.some((s) => s.timedOut?.length)) {
    out.push(
      `<path d="M${lx + 10},${ly - 4} L${lx + 18},${ly + 4} M${lx + 10},${ly + 4} L${lx + 18},${ly - 4}" stroke="#000" stroke-width="2"/><text x="${lx + 34}" y="${ly + 4}">timed out (top edge)</text>`,
    );
    ly += 20;
  }
  ly += 4;
  series.forEach((s, i) => {
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly}" y2="${ly}" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"/><text x="${lx + 34}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    );
    ly += 20;
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
