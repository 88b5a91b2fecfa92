/**
 * The few property-list reads the software step needs (an app's Info.plist, the install history),
 * on the bounded XML reader the GPU and launchd code use. Binary plists are converted by the
 * caller (plutil) first; anything malformed throws XmlParseError.
 */
import { parseXml, type XmlElement } from '../../platform/nvidia/xml-parse.js';

const LIMITS = { maxLength: 8 * 1024 * 1024, maxDepth: 32 };

/** The plist's top-level element (its dict or array). */
function top(xml: string): XmlElement | null {
  const root = parseXml(xml, LIMITS);
  if (root.name === 'plist') return root.children[0] ?? null;
  return root;
}

/** A dict's keys and values, in order. */
export function dictOf(dict: XmlElement): Map<string, XmlElement> {
  const map = new Map<string, XmlElement>();
  const kids = dict.children;
  for (let i = 0; i + 1 < kids.length; i += 2) {
    const k = kids[i];
    const v = kids[i + 1];
    if (k?.name !== 'key' || !v) break;
    map.set(k.text.trim(), v);
  }
  return map;
}

/** String values of the top-level dict (`CFBundleShortVersionString`, `CFBundleIdentifier`). */
export function plistStrings(xml: string, keys: readonly string[]): Record<string, string | undefined> {
  const t = top(xml);
  const out: Record<string, string | undefined> = {};
  if (t?.name !== 'dict') return out;
  const d = dictOf(t);
  for (const k of keys) {
    const v = d.get(k);
    if (v?.name === 'string') out[k] = v.text.trim();
  }
  return out;
}

/** The top-level array's dicts, each as key -> text (strings and dates). */
export function plistRecords(xml: string): Record<string, string>[] {
  const t = top(xml);
  if (t?.name !== 'array') return [];
  const out: Record<string, string>[] = [];
  for (const el of t.children) {
    if (el.name !== 'dict') continue;
    const rec: Record<string, string> = {};
    for (const [k, v] of dictOf(el)) {
      if (v.name === 'string' || v.name === 'date') rec[k] = v.text.trim();
      else if (v.name === 'array') {
        rec[k] = v.children
          .filter((c) => c.name === 'string')
          .map((c) => c.text.trim())
          .join(', ');
      }
    }
    out.push(rec);
  }
  return out;
}
