import { type ReactNode, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AwayBand } from '../lib/history.js';
import { useUi } from '../stores/ui.js';

export interface ChartSeries {
  /** A fixed label ("CPU", "GPU 0"): never a process name, which is attacker-controlled text. */
  label: string;
  /** CSS custom property holding the line colour. */
  colorVar: string;
}

/** One colour per resource in every chart, so CPU and GPU read the same everywhere. */
export const CPU_LINE: ChartSeries = { label: 'CPU', colorVar: '--chart-cpu' };
export const GPU_LINE: ChartSeries = { label: 'GPU', colorVar: '--chart-gpu' };

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * A percentage-over-time line chart (uPlot on a canvas) with away periods shaded behind it.
 * Created once per series set; new data goes through setData, so a 1 s update is cheap.
 */
export function TimeChart({
  label,
  series,
  data,
  bands,
  height = 140,
}: {
  label: string;
  series: readonly ChartSeries[];
  /** x (epoch seconds) then one column per series. */
  data: uPlot.AlignedData;
  bands: readonly AwayBand[];
  height?: number;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const bandsRef = useRef(bands);
  bandsRef.current = bands;
  const dataRef = useRef(data);
  dataRef.current = data;
  const theme = useUi((s) => s.appliedTheme);
  const seriesKey = series.map((s) => `${s.label}:${s.colorVar}`).join('|');

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the series set changes (seriesKey)
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const axis = (): uPlot.Axis => ({
      stroke: () => cssVar('--muted'),
      grid: { stroke: () => cssVar('--line'), width: 1 },
      ticks: { stroke: () => cssVar('--line'), width: 1 },
    });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(100, max ?? 0)] } },
      axes: [axis(), { ...axis(), size: 50, values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: () => cssVar(s.colorVar),
          width: 1.5,
          points: { show: false },
        })),
      ],
      hooks: {
        drawClear: [
          (u: uPlot) => {
            const ctx = u.ctx;
            const { left, top, width, height: h } = u.bbox;
            ctx.save();
            for (const b of bandsRef.current) {
              const x0 = Math.max(left, u.valToPos(b.from / 1000, 'x', true));
              const x1 = Math.min(left + width, u.valToPos(b.to / 1000, 'x', true));
              if (x1 <= x0) continue;
              ctx.fillStyle = cssVar(b.kind === 'locked' ? '--band-locked' : '--band-idle');
              ctx.fillRect(x0, top, Math.max(1, x1 - x0), h);
            }
            ctx.restore();
          },
        ],
      },
    };
    const u = new uPlot(opts, dataRef.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientWidth !== u.width) u.setSize({ width: el.clientWidth, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [seriesKey, height]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  useEffect(() => {
    if (theme) plot.current?.redraw(false);
  }, [theme]);

  return <div className="chart" ref={wrap} role="img" aria-label={label} />;
}

/** A TimeChart on a card, under its visible caption. */
export function ChartCard({ caption, ...chart }: { caption: ReactNode } & Parameters<typeof TimeChart>[0]) {
  return (
    <figure className="chart-card">
      <figcaption>{caption}</figcaption>
      <TimeChart {...chart} />
    </figure>
  );
}
