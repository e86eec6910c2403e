// Saves what the lab shows: charts as standalone SVG or PNG, tables as CSV, text exports as files.
// Exported SVGs carry their own styles, so they look the same outside the app (papers, slides, Perfetto-free viewers).

import { csvField } from "../../../engine/record/export.ts";

const CHART_STYLE = `
  svg { background: #10151c; font: 11px system-ui, sans-serif; }
  text { fill: #c3ccd8; }
  .domain, .tick line { stroke: #4a5868; }
`;

export function download(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(filename: string, mime: string, text: string): void {
  download(filename, new Blob([text], { type: mime }));
}

/** A standalone SVG document of a chart: namespaces, size and an embedded stylesheet. */
export function svgDocument(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", String(svg.clientWidth || svg.width.baseVal.value));
  copy.setAttribute("height", String(svg.clientHeight || svg.height.baseVal.value));
  const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
  style.textContent = CHART_STYLE;
  copy.insertBefore(style, copy.firstChild);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

export function exportSvg(svg: SVGSVGElement, filename: string): void {
  downloadText(filename, "image/svg+xml", svgDocument(svg));
}

/** Rasterises the SVG at twice its size (sharp on high-DPI screens and in print). */
export async function exportPng(svg: SVGSVGElement, filename: string): Promise<void> {
  const text = svgDocument(svg);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width * 2;
    canvas.height = image.height * 2;
    const ctx = canvas.getContext("2d")!;
    ctx.scale(2, 2);
    ctx.drawImage(image, 0, 0);
    const blob = await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"));
    download(filename, blob);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((row) => row.map((v) => csvField(v, typeof v === "string")).join(",")).join("\r\n") + "\r\n";
}

export function exportCsv(filename: string, header: string[], rows: (string | number)[][]): void {
  downloadText(filename, "text/csv", toCsv(header, rows));
}
