"""Accessibility basics checked in a real browser: language, landmarks, one h1, labels, contrast, reflow.

Not a full WCAG audit; the checks a page of ours must never fail.
"""

# Runs in the page; returns a list of problems in words.
_AUDIT_JS = r"""
() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("<html> has no lang");
  if (!document.querySelector("main")) problems.push("no <main> landmark");
  const h1s = document.querySelectorAll("h1");
  if (h1s.length !== 1) problems.push(`${h1s.length} <h1> elements`);
  if (!document.title.trim()) problems.push("empty <title>");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.closest("[hidden]")) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) problems.push(`unlabelled ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!(el.innerText || el.getAttribute("aria-label") || el.value || "").trim()) problems.push(`nameless ${el.tagName}`);
  }
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === "hidden" || style.display === "none" || box.width === 0 || box.right < 0) continue;
    const fg = lum(rgb(style.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: ${el.tagName} "${el.innerText.slice(0, 40)}"`);
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`scrolls sideways: ${document.documentElement.scrollWidth}px in a ${window.innerWidth}px viewport`);
  }
  return problems;
}
"""


def audit(page) -> list[str]:
    """Problems on the page now shown; [] when it passes."""
    return page.evaluate(_AUDIT_JS)


def first_tab_stop(page) -> dict:
    """Press Tab on a fresh page: where focus lands, and whether it is on screen and outlined."""
    page.keyboard.press("Tab")
    return page.evaluate(
        """() => {
            const el = document.activeElement, box = el.getBoundingClientRect(), style = getComputedStyle(el);
            return {text: (el.innerText || el.textContent).trim() || el.outerHTML.slice(0, 80), visible: box.left >= 0 && box.top >= 0 && box.width > 0,
                    outlined: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0};
        }"""
    )
