import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Detector } from '../main/engine/detect/detector.js';
import { ScriptedIdleSource } from '../main/engine/idle/scripted.js';
import { EngineService } from '../main/engine/service/engine-service.js';
import { waitFor } from './helpers/processes.js';

const linux = process.platform === 'linux';

/** The window's visibility reaches the live detector: window → 'window:visibility' → service → monitor → detector. */
describe.skipIf(!linux)('window visibility reaches the detector', () => {
  const root = mkdtempSync(join(tmpdir(), 'iw-window-'));
  const services: EngineService[] = [];

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(services.splice(0).map((s) => s.stop()));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('passes each change on once, refuses a non-boolean, and tells a restarted monitor at once', async () => {
    const marks: boolean[] = [];
    vi.spyOn(Detector.prototype, 'markWatched').mockImplementation(function (this: Detector, open: boolean) {
      marks.push(open);
    });
    const service = await EngineService.open({
      dataDir: join(root, 'data'),
      idleSources: [new ScriptedIdleSource(() => ({ idleSec: 0 }))],
      gpus: [],
      intervalMs: 500,
    });
    services.push(service);
    let samples = 0;
    service.onEvent((channel) => {
      if (channel === 'engine:sample') samples++;
    });
    await service.start();
    await waitFor(() => samples > 0, 10_000, 'a first sample');

    expect(await service.invoke('window:visibility', [true])).toBe(true);
    expect(await service.invoke('window:visibility', [true])).toBe(true); // a repeat is no new opening
    expect(await service.invoke('window:visibility', [false])).toBe(false);
    expect(marks).toEqual([true, false]);
    await expect(service.invoke('window:visibility', ['yes'])).rejects.toThrow(/window:visibility: invalid argument 0/);
    await expect(service.invoke('window:visibility', [])).rejects.toThrow(/expects 1 argument/);

    // Shown, then the detection settings change: the fresh monitor's detector learns the window is
    // already open on its first sample (not as an opening).
    await service.invoke('window:visibility', [true]);
    marks.length = 0;
    samples = 0;
    await service.invoke('settings:set', [{ sensitivity: 'high' }]);
    await waitFor(() => samples > 0 && marks.length > 0, 10_000, 'the restarted monitor');
    expect(marks).toEqual([true]);
  }, 30_000);
});
