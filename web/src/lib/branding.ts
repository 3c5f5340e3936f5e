/**
 * Applies the configured branding to the document: the accent colour (as CSS
 * custom properties, with a readable text colour computed for it), animations
 * on or off, and the favicon.
 */

/** The colour's red, green and blue (0-255), or null if it is not a CSS colour. */
export function parseColor(value: string): [number, number, number] | null {
  const v = value.trim();
  if (!v || v === 'default' || typeof CSS === 'undefined' || !CSS.supports('color', v)) {
    return null;
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  ctx.fillStyle = '#000';
  ctx.fillStyle = v;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  return [r, g, b];
}

/** Relative luminance (WCAG 2). */
function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Black or white, whichever reads better on `rgb`. */
export function contrastText(rgb: [number, number, number]): string {
  const l = luminance(rgb);
  // Contrast with white: 1.05 / (l + 0.05); with black: (l + 0.05) / 0.05.
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#000000';
}

type Rgb = [number, number, number];

function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * `rgb` mixed step by step towards `towards` until it reaches 4.5:1 against
 * `background` (WCAG AA for text), as a CSS colour.
 */
export function readableOn(rgb: Rgb, background: Rgb, towards: Rgb): string {
  let c: Rgb = rgb;
  for (let step = 1; step <= 10 && contrast(c, background) < 4.5; step++) {
    const w = step / 10;
    c = rgb.map((v, i) => Math.round(v * (1 - w) + towards[i] * w)) as Rgb;
  }
  return `rgb(${c[0]} ${c[1]} ${c[2]})`;
}

// The panels' colours in the light and dark themes (app.css --surface).
const LIGHT_SURFACE: Rgb = [255, 255, 255];
const DARK_SURFACE: Rgb = [24, 24, 27];

const ACCENT_PROPERTIES = [
  '--accent',
  '--accent-hover',
  '--accent-contrast',
  '--custom-link-light',
  '--custom-link-dark',
];

/** Sets (or, for "default" and invalid values, removes) the accent colour. */
export function applyAccent(value: string): void {
  const root = document.documentElement.style;
  const rgb = parseColor(value);
  if (!rgb) {
    for (const p of ACCENT_PROPERTIES) root.removeProperty(p);
    return;
  }
  const text = contrastText(rgb);
  const color = `rgb(${rgb[0]} ${rgb[1]} ${rgb[2]})`;
  root.setProperty('--accent', color);
  // Hover darkens light text's background and lightens dark text's.
  root.setProperty(
    '--accent-hover',
    `color-mix(in srgb, ${color} 85%, ${text === '#ffffff' ? '#000' : '#fff'})`,
  );
  root.setProperty('--accent-contrast', text);
  root.setProperty('--custom-link-light', readableOn(rgb, LIGHT_SURFACE, [0, 0, 0]));
  root.setProperty('--custom-link-dark', readableOn(rgb, DARK_SURFACE, [255, 255, 255]));
}

export function applyAnimations(disabled: boolean): void {
  document.documentElement.classList.toggle('no-animations', disabled);
}

/** Points the page's icon at the configured favicon. */
export function applyFavicon(href: string): void {
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement('link');
    link.rel = 'icon';
    document.head.appendChild(link);
  }
  if (link.getAttribute('href') !== href) link.href = href;
}
