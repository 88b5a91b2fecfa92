/**
 * Bundled by test/actions-permission.test.ts and run as an unprivileged user: performs one action
 * with the real code and prints its result as JSON.
 * Usage: node act-as-user.mjs kill|pause PID START_TIME_MS
 */
import { killProcess, pauseProcess } from '../../main/engine/actions/process-actions.js';

const [action, pid, start] = process.argv.slice(2);
const target = { pid: Number(pid), startTimeMs: Number(start) };
const result = action === 'pause' ? await pauseProcess(target) : await killProcess(target, { graceMs: 500 });
process.stdout.write(JSON.stringify(result));
