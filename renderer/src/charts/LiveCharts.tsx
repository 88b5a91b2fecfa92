import { useMemo } from 'react';
import type uPlot from 'uplot';
import { awayBands, cpuColumns, gpuColumns, gpuIds } from '../lib/history.js';
import { useLive } from '../stores/live.js';
import { CPU_LINE, ChartCard, GPU_LINE } from './TimeChart.js';

const CPU_SERIES = [CPU_LINE];
const GPU_SERIES = [GPU_LINE];

/** System CPU and each GPU over the engine's history, with idle and locked periods shaded. */
export function LiveCharts() {
  const history = useLive((s) => s.history);
  const bands = useMemo(() => awayBands(history), [history]);
  const cpu = useMemo(() => cpuColumns(history) as uPlot.AlignedData, [history]);
  const ids = useMemo(() => gpuIds(history), [history]);
  const gpus = useMemo(
    () => ids.map((id) => ({ id, data: gpuColumns(history, id) as uPlot.AlignedData })),
    [ids, history],
  );

  if (history.length === 0) {
    return <p className="empty">The charts appear with the first samples.</p>;
  }
  return (
    <div className="charts" data-testid="charts">
      <ChartCard
        caption="System CPU"
        label="System CPU use over time; shaded: you were away"
        series={CPU_SERIES}
        data={cpu}
        bands={bands}
      />
      {gpus.map((g) => (
        <ChartCard
          key={g.id}
          caption={`GPU ${g.id}`}
          label={`GPU ${g.id} use over time; shaded: you were away`}
          series={GPU_SERIES}
          data={g.data}
          bands={bands}
        />
      ))}
      <p className="legend">
        <span className="swatch swatch-idle" aria-hidden="true" /> idle{' '}
        <span className="swatch swatch-locked" aria-hidden="true" /> screen locked
      </p>
    </div>
  );
}
