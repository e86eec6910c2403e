// What both hosts send with the built renderer: the content types and the Content-Security-Policy.
// One definition, so the Electron window and the browser tab run the renderer under the same rules.

import { extname } from "node:path";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".ico": "image/x-icon",
};

export function contentType(file: string): string {
  return MIME[extname(file)] ?? "application/octet-stream";
}

/** Scripts only from our origin; `connect` names where the page may open connections ('none' under Electron IPC). */
export function contentSecurityPolicy(connect: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src ${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
