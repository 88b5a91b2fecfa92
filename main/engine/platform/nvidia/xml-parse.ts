import { busiest, parseSmiNumber, parseSmiText } from './smi-values.js';

/**
 * A small, strict XML reader for `nvidia-smi -q -x` (no dependency for one well-formed,
 * tool-generated document). It handles what that output contains — declaration, DOCTYPE,
 * elements, attributes, self-closing tags, text with entities — plus comments and CDATA,
 * and refuses anything malformed rather than guessing.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its children's), entities decoded, untrimmed. */
  text: string;
}

export class XmlParseError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} at character ${offset}`);
    this.name = 'XmlParseError';
  }
}

export interface XmlLimits {
  /** Refuse documents larger than this many characters. Default 16 MiB (the largest capture is 120 KB). */
  maxLength?: number;
  /** Refuse nesting deeper than this. Default 64 (nvidia-smi nests about 6). */
  maxDepth?: number;
}

const NAME = /[A-Za-z_:][\w.:-]*/y;
const ATTR = /\s*([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;

export function parseXml(text: string, limits: XmlLimits = {}): XmlElement {
  const maxLength = limits.maxLength ?? 16 * 1024 * 1024;
  const maxDepth = limits.maxDepth ?? 64;
  if (text.length > maxLength) throw new XmlParseError(`document longer than ${maxLength} characters`, 0);
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let pos = 0;

  const skipPast = (marker: string, what: string): void => {
    const end = text.indexOf(marker, pos);
    if (end === -1) throw new XmlParseError(`unterminated ${what}`, pos);
    pos = end + marker.length;
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const chunk = text.slice(pos, lt === -1 ? text.length : lt);
    if (chunk !== '') {
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(chunk);
      else if (chunk.trim() !== '') throw new XmlParseError('text outside the root element', pos);
    }
    if (lt === -1) break;
    pos = lt;
    if (text.startsWith('<?', pos)) {
      skipPast('?>', 'processing instruction');
    } else if (text.startsWith('<!--', pos)) {
      skipPast('-->', 'comment');
    } else if (text.startsWith('<![CDATA[', pos)) {
      const start = pos + 9;
      skipPast(']]>', 'CDATA section');
      const top = stack[stack.length - 1];
      if (!top) throw new XmlParseError('CDATA outside the root element', start);
      top.text += text.slice(start, pos - 3);
    } else if (text.startsWith('<!', pos)) {
      // DOCTYPE, possibly with an internal subset in brackets. The bracket is looked for only
      // up to the first '>': searching the rest of the document for every `<!x>` is quadratic.
      const close = text.indexOf('>', pos);
      const bracket = close === -1 ? -1 : text.slice(pos, close).indexOf('[') + pos;
      if (bracket >= pos) {
        pos = bracket;
        skipPast(']', 'DOCTYPE internal subset');
      }
      skipPast('>', 'declaration');
    } else if (text.startsWith('</', pos)) {
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(text);
      const top = stack.pop();
      if (!m || !top || m[0] !== top.name) {
        throw new XmlParseError(`unexpected closing tag ${m ? m[0] : ''} (open: ${top?.name ?? 'none'})`, pos);
      }
      pos = NAME.lastIndex;
      while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
      if (text[pos] !== '>') throw new XmlParseError(`malformed closing tag ${top.name}`, pos);
      pos++;
    } else {
      NAME.lastIndex = pos + 1;
      const m = NAME.exec(text);
      if (!m) throw new XmlParseError('malformed tag', pos);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      pos = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = pos;
        const a = ATTR.exec(text);
        if (!a) break;
        el.attrs[a[1] as string] = decodeEntities(a[3] ?? a[4] ?? '');
        pos = ATTR.lastIndex;
      }
      while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
      let selfClosing = false;
      if (text.startsWith('/>', pos)) {
        selfClosing = true;
        pos += 2;
      } else if (text[pos] === '>') {
        pos++;
      } else {
        throw new XmlParseError(`malformed tag ${el.name}`, pos);
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new XmlParseError('more than one root element', pos);
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > maxDepth) throw new XmlParseError(`nesting deeper than ${maxDepth}`, pos);
      }
    }
  }
  const open = stack[stack.length - 1];
  if (open) throw new XmlParseError(`unclosed element ${open.name}`, text.length);
  if (!root) throw new XmlParseError('no root element', text.length);
  return root;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ent: string) => {
    if (ent.startsWith('#x')) return safeCodePoint(Number.parseInt(ent.slice(2), 16)) ?? whole;
    if (ent.startsWith('#')) return safeCodePoint(Number.parseInt(ent.slice(1), 10)) ?? whole;
    return NAMED[ent] ?? whole;
  });
}

function safeCodePoint(n: number): string | null {
  return Number.isInteger(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : null;
}

export function xmlChild(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function xmlChildren(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Trimmed text of a direct child, or undefined when there is no such child. */
export function xmlChildText(el: XmlElement | undefined, name: string): string | undefined {
  const c = xmlChild(el, name);
  return c ? c.text.trim() : undefined;
}

export interface SmiXmlProcess {
  pid: number;
  /** C, G, C+G (as nvidia-smi prints it); null when absent. */
  type: string | null;
  /** Full command line or path here (unlike pmon's 15 characters); empty on some Windows rows. */
  name: string;
  /** null where the driver cannot tell (`N/A` on Windows/WDDM). */
  usedMemoryMiB: number | null;
}

export interface SmiXmlGpu {
  /** Position in the document: nvidia-smi lists GPUs in its index order. */
  position: number;
  /** PCI bus id from `<gpu id="...">`. */
  busId: string | null;
  uuid: string | null;
  name: string | null;
  minorNumber: number | null;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  utilGpu: number | null;
  utilEncoder: number | null;
  utilDecoder: number | null;
  utilJpeg: number | null;
  utilOfa: number | null;
  util: number | null;
  migEnabled: boolean;
  processes: SmiXmlProcess[];
}

export interface SmiXmlLog {
  driverVersion: string | null;
  cudaVersion: string | null;
  attachedGpus: number | null;
  gpus: SmiXmlGpu[];
}

/** Digits that fit an exact integer; anything else (a 30-digit "pid" included) is null. */
function wholeNumber(text: string | undefined): number | null {
  return text !== undefined && /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}

function xmlNumber(el: XmlElement | undefined, name: string): number | null {
  return parseSmiNumber(xmlChildText(el, name)) ?? null;
}

/**
 * Reads the parts of `nvidia-smi -q -x` that Idlewatch uses. Only DIRECT children of each
 * `<gpu>` are read: with MIG enabled, `<mig_devices>` nests its own `<fb_memory_usage>`.
 * Throws XmlParseError for malformed XML or a document that is not an nvidia_smi_log.
 */
export function parseNvidiaSmiXml(text: string): SmiXmlLog {
  const root = parseXml(text);
  if (root.name !== 'nvidia_smi_log')
    throw new XmlParseError(`root element is <${root.name}>, not <nvidia_smi_log>`, 0);
  const gpus = xmlChildren(root, 'gpu').map((gpu, position): SmiXmlGpu => {
    const fb = xmlChild(gpu, 'fb_memory_usage');
    const utilization = xmlChild(gpu, 'utilization');
    const utilGpu = xmlNumber(utilization, 'gpu_util');
    const utilEncoder = xmlNumber(utilization, 'encoder_util');
    const utilDecoder = xmlNumber(utilization, 'decoder_util');
    const utilJpeg = xmlNumber(utilization, 'jpeg_util');
    const utilOfa = xmlNumber(utilization, 'ofa_util');
    const minor = xmlChildText(gpu, 'minor_number');
    const processes: SmiXmlProcess[] = [];
    for (const p of xmlChildren(xmlChild(gpu, 'processes'), 'process_info')) {
      const pid = xmlChildText(p, 'pid');
      const pidNumber = wholeNumber(pid);
      if (pidNumber === null) continue;
      processes.push({
        pid: pidNumber,
        type: parseSmiText(xmlChildText(p, 'type')),
        name: xmlChildText(p, 'process_name') ?? '',
        usedMemoryMiB: xmlNumber(p, 'used_memory'),
      });
    }
    return {
      position,
      busId: gpu.attrs.id ?? null,
      uuid: parseSmiText(xmlChildText(gpu, 'uuid')),
      name: parseSmiText(xmlChildText(gpu, 'product_name')),
      minorNumber: wholeNumber(minor),
      memoryTotalMiB: xmlNumber(fb, 'total'),
      memoryUsedMiB: xmlNumber(fb, 'used'),
      utilGpu,
      utilEncoder,
      utilDecoder,
      utilJpeg,
      utilOfa,
      util: busiest([utilGpu, utilEncoder, utilDecoder, utilJpeg, utilOfa]),
      migEnabled: xmlChildText(xmlChild(gpu, 'mig_mode'), 'current_mig') === 'Enabled',
      processes,
    };
  });
  const attached = xmlChildText(root, 'attached_gpus');
  return {
    driverVersion: parseSmiText(xmlChildText(root, 'driver_version')),
    cudaVersion: parseSmiText(xmlChildText(root, 'cuda_version')),
    attachedGpus: wholeNumber(attached),
    gpus,
  };
}
