import type { SampleSummary, SourceStatus } from '../../../shared/engine-types.js';
import { pct } from '../lib/format.js';

/** CPU and each GPU now; when no GPU is measured, why not (from the GPU sources). */
export function Meters({ sample, sources }: { sample: SampleSummary; sources: readonly SourceStatus[] }) {
  const gpuSources = sources.filter((s) => s.id.startsWith('gpu.'));
  const why = gpuSources
    .filter((s) => s.health !== 'ok')
    .map((s) => `${s.label}: ${s.detail}`)
    .join(' · ');
  return (
    <section className="meters" aria-label="Now">
      <div className="meter" data-testid="cpu-meter">
        <div className="meter-label">CPU ({sample.system.cores} cores)</div>
        <div className="meter-value">{pct(sample.system.cpu)}</div>
      </div>
      {sample.gpus.map((g) => (
        <div className="meter" key={g.id} data-testid="gpu-meter">
          <div className="meter-label">
            GPU {g.id} · {g.name}
          </div>
          <div className="meter-value">{pct(g.util)}</div>
          <div className="meter-sub">
            {g.memUsedMiB !== null
              ? `${g.memUsedMiB}${g.memoryMiB ? ` / ${g.memoryMiB}` : ''} MiB`
              : 'memory not reported'}
          </div>
        </div>
      ))}
      {sample.gpus.length === 0 ? (
        <div className="meter meter-empty" data-testid="gpu-unavailable">
          <div className="meter-label">GPU monitoring unavailable: {why || 'no GPU source reported a device.'}</div>
        </div>
      ) : null}
    </section>
  );
}
