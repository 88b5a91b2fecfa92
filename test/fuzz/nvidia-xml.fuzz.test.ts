/**
 * Property tests for the XML reader (main/engine/platform/nvidia/xml-parse.ts): parseXml and
 * parseNvidiaSmiXml on generated, cut, mutilated and pathological documents (nvidia-smi -q -x).
 * Each property states what must hold for ANY input (no throw but the documented error type,
 * numbers finite, no prototype pollution, bounded time) and, where a valid input can be
 * generated, that it is read back exactly even when garbage is mixed in. Seed, run counts and
 * shared arbitraries: ./common.ts.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseNvidiaSmiXml,
  parseXml,
  type XmlElement,
  XmlParseError,
} from '../../main/engine/platform/nvidia/xml-parse.js';
import { anyText, bigDecimal, PURE } from './common.js';

// ---------------------------------------------------------------------------------------------
// XML (nvidia-smi -q -x)
// ---------------------------------------------------------------------------------------------

interface El {
  name: string;
  attrs: [string, string][];
  text: string;
  cdata: boolean;
  children: El[];
}

const xmlNameArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/).filter((n) => n !== '__proto__');
const xmlTextArb = fc.string({ unit: 'binary', maxLength: 30 });

function elArb(depth: number): fc.Arbitrary<El> {
  return fc.record({
    name: xmlNameArb,
    attrs: fc.uniqueArray(fc.tuple(xmlNameArb, xmlTextArb), { maxLength: 3, selector: (a) => a[0] }),
    text: xmlTextArb,
    cdata: fc.boolean(),
    children: depth === 0 ? fc.constant([]) : fc.array(elArb(depth - 1), { maxLength: 3 }),
  });
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
}

function serialize(el: El): string {
  const attrs = el.attrs.map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
  const text = el.cdata && !el.text.includes(']]>') ? `<![CDATA[${el.text}]]>` : escapeXml(el.text);
  if (el.text === '' && el.children.length === 0) return `<${el.name}${attrs}/>`;
  return `<${el.name}${attrs}>${text}${el.children.map(serialize).join('')}</${el.name}>`;
}

function toXmlElement(el: El): XmlElement {
  return { name: el.name, attrs: Object.fromEntries(el.attrs), text: el.text, children: el.children.map(toXmlElement) };
}

/** Runs `fn`, which must either return or throw an XmlParseError, within `ms`. */
function xmlOutcome(fn: () => unknown, ms: number, what: string): 'ok' | 'refused' {
  const t0 = performance.now();
  let outcome: 'ok' | 'refused' = 'ok';
  try {
    fn();
  } catch (e) {
    if (!(e instanceof XmlParseError)) throw new Error(`${what}: threw ${(e as Error).name}: ${(e as Error).message}`);
    outcome = 'refused';
  }
  const took = performance.now() - t0;
  expect(took, `${what} took ${Math.round(took)} ms`).toBeLessThan(ms);
  return outcome;
}

const SMI_DOC = `<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
  <driver_version>550.54.14</driver_version>
  <cuda_version>12.4</cuda_version>
  <attached_gpus>1</attached_gpus>
  <gpu id="00000000:01:00.0">
    <product_name>Tesla T4</product_name>
    <uuid>GPU-12345678-1234-1234-1234-123456789abc</uuid>
    <minor_number>0</minor_number>
    <fb_memory_usage><total>15360 MiB</total><used>1027 MiB</used></fb_memory_usage>
    <utilization><gpu_util>97 %</gpu_util><encoder_util>0 %</encoder_util><decoder_util>N/A</decoder_util></utilization>
    <mig_mode><current_mig>N/A</current_mig></mig_mode>
    <processes>
      <process_info><pid>5762</pid><type>C</type><process_name>python</process_name><used_memory>1005 MiB</used_memory></process_info>
      <process_info><pid>675</pid><type>G</type><process_name>/usr/lib/xorg/Xorg &amp; co</process_name><used_memory>22 MiB</used_memory></process_info>
    </processes>
  </gpu>
</nvidia_smi_log>
`;

describe('XML reader', () => {
  it('round-trips any generated tree (names, attributes, entities, CDATA, unicode)', () => {
    fc.assert(
      fc.property(elArb(3), fc.boolean(), (tree, prolog) => {
        const doc = `${prolog ? '<?xml version="1.0" ?>\n<!DOCTYPE x SYSTEM "x.dtd">\n<!-- c -->\n' : ''}${serialize(tree)}\n`;
        expect(parseXml(doc)).toEqual(toXmlElement(tree));
      }),
      PURE,
    );
  });

  it('every strict prefix of a document is refused with XmlParseError', () => {
    fc.assert(
      fc.property(elArb(2), fc.nat(), (tree, at) => {
        const doc = serialize(tree);
        const cut = at % doc.length;
        expect(xmlOutcome(() => parseXml(doc.slice(0, cut)), 500, 'prefix')).toBe('refused');
      }),
      PURE,
    );
  });

  it('random and token-soup input: returns or throws XmlParseError, nothing else, quickly', () => {
    const soup = fc
      .array(
        fc.oneof(
          fc.constantFrom(
            '<',
            '>',
            '</',
            '/>',
            '<!--',
            '-->',
            '<![CDATA[',
            ']]>',
            '<?',
            '?>',
            '<!DOCTYPE x [',
            ']',
            '"',
            "'",
          ),
          fc.constantFrom(
            '=',
            'a',
            'gpu',
            ' ',
            '&amp;',
            '&#x1F600;',
            '&#99999999;',
            '&#xD800;',
            '&',
            ';',
            '<a>',
            '</a>',
            '<b/>',
          ),
          anyText(5),
        ),
        { maxLength: 60 },
      )
      .map((t) => t.join(''));
    fc.assert(
      fc.property(fc.oneof(anyText(200), soup), (text) => {
        xmlOutcome(() => parseXml(text), 500, 'parseXml');
        xmlOutcome(() => parseNvidiaSmiXml(text), 500, 'parseNvidiaSmiXml');
      }),
      PURE,
    );
  });

  it('a mutilated nvidia-smi document: XmlParseError or a log whose numbers are all sane', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.nat({ max: 0 }), junk: fc.constant('') }),
      fc.record({
        kind: fc.constant('delete' as const),
        at: fc.nat(),
        len: fc.nat({ max: 40 }),
        junk: fc.constant(''),
      }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        len: fc.nat({ max: 0 }),
        junk: fc.oneof(anyText(20), bigDecimal, fc.constantFrom('<x>', '</gpu>', '<pid>-1</pid>', '&#0;', ' MiB')),
      }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        let doc = SMI_DOC;
        for (const m of mutations) {
          const at = m.at % (doc.length + 1);
          doc = m.kind === 'cut' ? doc.slice(0, at) : doc.slice(0, at) + m.junk + doc.slice(at + m.len);
        }
        let log: ReturnType<typeof parseNvidiaSmiXml> | null = null;
        xmlOutcome(
          () => {
            log = parseNvidiaSmiXml(doc);
          },
          500,
          'parseNvidiaSmiXml',
        );
        const parsed = log as ReturnType<typeof parseNvidiaSmiXml> | null;
        if (!parsed) return;
        if (parsed.attachedGpus !== null) expect(Number.isSafeInteger(parsed.attachedGpus)).toBe(true);
        for (const g of parsed.gpus) {
          if (g.minorNumber !== null) expect(Number.isSafeInteger(g.minorNumber)).toBe(true);
          for (const n of [g.memoryTotalMiB, g.memoryUsedMiB, g.utilGpu, g.utilEncoder, g.utilDecoder, g.util]) {
            if (n !== null) expect(Number.isFinite(n), `value ${n}`).toBe(true);
          }
          for (const p of g.processes) {
            expect(Number.isSafeInteger(p.pid), `pid ${p.pid}`).toBe(true);
            if (p.usedMemoryMiB !== null) expect(Number.isFinite(p.usedMemoryMiB)).toBe(true);
          }
        }
      }),
      PURE,
    );
  });

  it('the unmutated document reads as expected (the mutation property starts from a valid log)', () => {
    const log = parseNvidiaSmiXml(SMI_DOC);
    expect(log.gpus[0]?.processes).toEqual([
      { pid: 5762, type: 'C', name: 'python', usedMemoryMiB: 1005 },
      { pid: 675, type: 'G', name: '/usr/lib/xorg/Xorg & co', usedMemoryMiB: 22 },
    ]);
    expect(log.gpus[0]?.util).toBe(97);
  });

  it('pathological documents of a few MB parse or are refused in well under a second each', () => {
    const n = 400_000;
    const docs: [string, string][] = [
      ['declarations', `<r>${'<!x>'.repeat(n)}</r>`],
      ['declarations before a late bracket', `<r>${'<!x>'.repeat(n)}[</r>`],
      ['huge attribute', `<r a="${'x'.repeat(4 * n)}"/>`],
      ['many attributes', `<r${' a="1"'.repeat(n / 2)}/>`],
      ['many entities', `<r>${'&amp;'.repeat(n)}</r>`],
      ['dangling ampersands', `<r>${'a&'.repeat(n)}</r>`],
      ['huge numeric entity', `<r>&#x${'f'.repeat(4 * n)};</r>`],
      ['many comments', `<r>${'<!--x-->'.repeat(n / 2)}</r>`],
      ['many CDATA sections', `<r>${'<![CDATA[x]]>'.repeat(n / 4)}</r>`],
      ['many processing instructions', `<r>${'<?x?>'.repeat(n)}</r>`],
      ['many children', `<r>${'<a/>'.repeat(n)}</r>`],
      ['deep nesting', '<a>'.repeat(n)],
      ['long name', `<${'a'.repeat(4 * n)}`],
      ['unterminated attribute', `<r a="${'x'.repeat(4 * n)}`],
      [
        'many gpus',
        `<nvidia_smi_log>${'<gpu><processes><process_info><pid>1</pid></process_info></processes></gpu>'.repeat(n / 40)}</nvidia_smi_log>`,
      ],
    ];
    for (const [what, doc] of docs) {
      xmlOutcome(() => parseXml(doc), 1000, what);
      xmlOutcome(() => parseNvidiaSmiXml(doc), 1000, what);
    }
    // At the depth limit a document is still read; one deeper is refused.
    expect(xmlOutcome(() => parseXml(`${'<a>'.repeat(64)}${'</a>'.repeat(64)}`), 100, 'depth 64')).toBe('ok');
    expect(xmlOutcome(() => parseXml(`${'<a>'.repeat(65)}${'</a>'.repeat(65)}`), 100, 'depth 65')).toBe('refused');
  });
});
