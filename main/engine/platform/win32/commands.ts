/**
 * The two PowerShell programs the Windows collectors keep running, built as argument arrays
 * for `powershell.exe` (never a shell, never a string command line).
 *
 * Why a PowerShell loop calling Get-Counter once per period, and not `typeperf` or
 * `Get-Counter -Continuous`: typeperf and -Continuous both expand `(*)` wildcards once, when they
 * start, so a process (or a GPU engine instance) that appears later is never sampled until a
 * restart, and a miner started after Idlewatch would stay invisible. A fresh Get-Counter call
 * expands the wildcards again on every sample, inside one long-lived PowerShell (no process start
 * per tick). Get-Counter also hands us raw values (RawValue), so process CPU is computed from
 * deltas of total CPU time keyed by pid and start time, never from PDH's own two-read rate over a
 * `chrome#3`-style instance name whose numbering shifts when a sibling exits.
 *
 * The scripts contain no double quote: Node quotes each argument for CreateProcess, and a script
 * without `"` reaches powershell.exe unchanged whatever the quoting rules (the C# source of the
 * idle helper writes `~` for `"` and swaps it in PowerShell). Nothing from the machine or the user
 * is put into a script: only checked integers (our pid, the period).
 *
 * Output is forced to UTF-8 (PowerShell writes the OEM code page by default, which would mangle
 * non-ASCII process names), numbers are written with the invariant culture (a German Windows would
 * otherwise write `12,5`), and JSON lines are built by hand: ConvertTo-Json is slow for thousands
 * of counter samples in Windows PowerShell 5.1 and truncates nested arrays at its default depth.
 *
 * LANGUAGE: counter paths passed to Get-Counter are localized (a German Windows names the set
 * `Prozess`, not `Process`); Get-Counter does not use PdhAddEnglishCounter. We ask for the English
 * names; where the system's language is not English, Get-Counter rejects them, the sampler reports
 * the error text and the culture, and the collectors say "performance counters unavailable on this
 * Windows language (de-DE): …" instead of guessing. Translating through the registry
 * (`Perflib\CurrentLanguage`) would cover Process and Processor but not GPU Engine / GPU Process
 * Memory, which are manifest (V2) counter sets whose names are not in that list.
 */

export const POWERSHELL = 'powershell.exe';

/** Fixed options in front of every script: no profile (speed, no user code), no prompts. */
export const POWERSHELL_PREFIX: readonly string[] = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass'];

/** The counters one sample asks for, English names (see LANGUAGE above). */
export const SAMPLER_COUNTERS: readonly string[] = [
  '\\Processor(_Total)\\% Processor Time',
  '\\Process(*)\\ID Process',
  '\\Process(*)\\Creating Process ID',
  '\\Process(*)\\% Processor Time',
  '\\Process(*)\\Elapsed Time',
  '\\Process(*)\\Working Set',
  '\\GPU Engine(*)\\Utilization Percentage',
  '\\GPU Process Memory(*)\\Dedicated Usage',
  '\\GPU Process Memory(*)\\Shared Usage',
];

function checkedInt(n: number, what: string): string {
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a valid ${what}: ${n}`);
  return String(n);
}

/** PowerShell helpers shared by both scripts: a JSON string escaper and UTF-8 output. */
const COMMON = [
  "$ErrorActionPreference = 'Stop';",
  '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false;',
  '$q = [string][char]34;',
  '$inv = [Globalization.CultureInfo]::InvariantCulture;',
  // JSON string body: backslash and quote escaped, control characters replaced by spaces.
  "function J([string]$s) { if ($null -eq $s) { return 'null' }; return $q + (($s -replace '[\\x00-\\x1f]', ' ').Replace('\\', '\\\\').Replace($q, '\\' + $q)) + $q };",
  // A double as JSON (null for NaN and infinities, which JSON cannot carry).
  "function N($v) { if ($null -eq $v) { return 'null' }; $d = [double]$v; if ([double]::IsNaN($d) -or [double]::IsInfinity($d)) { return 'null' }; return $d.ToString('R', $inv) };",
  'function Out([string]$line) { [Console]::Out.WriteLine($line); [Console]::Out.Flush() };',
];

/**
 * The sampler: one JSON line per period.
 *   {"hello":1,"culture":"en-US","ui":"en-US","ps":"5.1.19041.4648"}            once, at start
 *   {"t":<epoch ms>,"s":[[path,raw,cooked,status],…],"ge":<n>,"errs":[…]}     per sample
 * `s` holds every sample except idle GPU engines (cooked 0), which are counted in `ge` only: a
 * machine has thousands of engine instances and almost all are at 0. `errs` carries Get-Counter's
 * errors (localized text). It exits when our process is gone (Windows does not end children with
 * their parent), checked once per period.
 */
export function samplerScript(periodSec: number, parentPid: number): string {
  const sec = checkedInt(Math.max(1, Math.round(periodSec)), 'period');
  const parent = checkedInt(parentPid, 'pid');
  const paths = SAMPLER_COUNTERS.map((p) => `'${p}'`).join(', ');
  return [
    ...COMMON,
    `$paths = @(${paths});`,
    "Out ('{' + $q + 'hello' + $q + ':1,' + $q + 'culture' + $q + ':' + (J (Get-Culture).Name) + ',' + $q + 'ui' + $q + ':' + (J (Get-UICulture).Name) + ',' + $q + 'ps' + $q + ':' + (J $PSVersionTable.PSVersion.ToString()) + '}');",
    'while ($true) {',
    `if (-not (Get-Process -Id ${parent} -ErrorAction SilentlyContinue)) { exit 0 };`,
    '$ev = $null; $set = $null;',
    `try { $set = Get-Counter -Counter $paths -SampleInterval ${sec} -MaxSamples 1 -ErrorAction SilentlyContinue -ErrorVariable ev } catch { $ev = @($_) };`,
    '$sb = New-Object System.Text.StringBuilder; $ge = 0; $first = $true;',
    "if ($set) { [void]$sb.Append('{' + $q + 't' + $q + ':' + [DateTimeOffset]::new($set.Timestamp).ToUnixTimeMilliseconds().ToString($inv) + ',' + $q + 's' + $q + ':[');",
    "foreach ($c in $set.CounterSamples) { if ($c.InstanceName -like 'pid_*_eng_*') { $ge++; if ($c.CookedValue -eq 0) { continue } };",
    "if (-not $first) { [void]$sb.Append(',') }; $first = $false;",
    "[void]$sb.Append('[' + (J $c.Path) + ',' + $c.RawValue.ToString($inv) + ',' + (N $c.CookedValue) + ',' + $c.Status.ToString($inv) + ']') };",
    "[void]$sb.Append('],') } else { [void]$sb.Append('{' + $q + 't' + $q + ':' + [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds().ToString($inv) + ',' + $q + 's' + $q + ':[],') };",
    "$errs = @($ev | Where-Object { $_ } | Select-Object -First 5 | ForEach-Object { J $_.ToString() }) -join ',';",
    "[void]$sb.Append($q + 'ge' + $q + ':' + $ge.ToString($inv) + ',' + $q + 'errs' + $q + ':[' + $errs + ']}');",
    'Out $sb.ToString();',
    // Get-Counter returns at once when every path failed: keep the period anyway.
    `if (-not $set) { Start-Sleep -Seconds ${sec} } }`,
  ].join(' ');
}

export function samplerArgs(periodSec: number, parentPid: number): string[] {
  return [...POWERSHELL_PREFIX, '-Command', samplerScript(periodSec, parentPid)];
}

/**
 * C# for the idle helper: GetLastInputInfo gives the 32-bit tick count of the session's last
 * input; GetTickCount64 now. The difference is taken in 32 bits so the wrap every 49.7 days is
 * harmless. `~` stands for a double quote (see the file comment).
 */
export const IDLE_CSHARP =
  'using System; using System.Runtime.InteropServices; public static class IdlewatchIdle { ' +
  '[StructLayout(LayoutKind.Sequential)] struct LASTINPUTINFO { public uint cbSize; public uint dwTime; } ' +
  '[DllImport(~user32.dll~, SetLastError = true)] static extern bool GetLastInputInfo(ref LASTINPUTINFO plii); ' +
  '[DllImport(~kernel32.dll~)] static extern ulong GetTickCount64(); ' +
  'public static long IdleMs() { LASTINPUTINFO i = new LASTINPUTINFO(); i.cbSize = (uint)Marshal.SizeOf(i); ' +
  'if (!GetLastInputInfo(ref i)) { return -1; } return (long)unchecked((uint)GetTickCount64() - i.dwTime); } }';

/**
 * C# for the presence request: SHQueryUserNotificationState says whether a fullscreen Direct3D
 * app, a fullscreen window or presentation mode has the screen; the foreground window and its
 * process name what it is; XInputGetState's packet numbers (per connected controller) change with
 * every input, which is how a gamepad player is seen. XInput 1.4 ships with Windows 8 and later;
 * without it `Pads` says `-`.
 */
export const PRESENCE_CSHARP =
  'using System; using System.Runtime.InteropServices; public static class IdlewatchPresence { ' +
  '[DllImport(~shell32.dll~)] static extern int SHQueryUserNotificationState(out int s); ' +
  '[DllImport(~user32.dll~)] static extern IntPtr GetForegroundWindow(); ' +
  '[DllImport(~user32.dll~)] static extern uint GetWindowThreadProcessId(IntPtr h, out uint pid); ' +
  '[StructLayout(LayoutKind.Sequential)] struct XS { public uint Packet; public ushort Buttons; public byte LT; public byte RT; ' +
  'public short LX; public short LY; public short RX; public short RY; } ' +
  '[DllImport(~xinput1_4.dll~)] static extern uint XInputGetState(uint i, out XS s); ' +
  'public static int Quns() { int s; return SHQueryUserNotificationState(out s) == 0 ? s : -1; } ' +
  'public static long FgWindow() { return GetForegroundWindow().ToInt64(); } ' +
  'public static uint FgPid() { uint p = 0; GetWindowThreadProcessId(GetForegroundWindow(), out p); return p; } ' +
  'public static string Pads() { try { string o = ~~; for (uint i = 0; i < 4; i++) { XS s; ' +
  'if (XInputGetState(i, out s) == 0) { o += i.ToString() + ~:~ + s.Packet.ToString() + ~;~; } } return o; } ' +
  'catch (DllNotFoundException) { return ~-~; } } }';

/**
 * The helper: reads one request per line on stdin and answers one JSON line on stdout; it ends
 * when stdin closes (our process exited).
 *   `<id> idle`            → {"id":<id>,"ok":true,"idleMs":<n>}
 *   `<id> presence`        → {"id":<id>,"ok":true,"quns":<n>,"fgWindow":<n>,"fgPid":<n>,"fgName":"…","pads":"0:17;"}
 *   `<id> ident <pid,…>`   → {"id":<id>,"ok":true,"procs":[[pid,ppid,name,exe,cmdline,startMs,user],…]}
 *   failures               → {"id":<id>,"ok":false,"error":"…"}
 * Pids are cast to [int] before they reach the WMI filter, so a request cannot inject WQL.
 */
export function helperScript(): string {
  return [
    ...COMMON,
    `Add-Type -TypeDefinition ('${IDLE_CSHARP}'.Replace('~', $q));`,
    `Add-Type -TypeDefinition ('${PRESENCE_CSHARP}'.Replace('~', $q));`,
    "Out ('{' + $q + 'hello' + $q + ':1}');",
    'while ($true) { $line = [Console]::In.ReadLine(); if ($null -eq $line) { exit 0 };',
    "$w = $line.Trim().Split(' '); $id = [int]$w[0]; $head = '{' + $q + 'id' + $q + ':' + $id.ToString($inv) + ',';",
    'try {',
    "if ($w[1] -eq 'idle') { $ms = [IdlewatchIdle]::IdleMs(); if ($ms -lt 0) { throw 'GetLastInputInfo failed' };",
    "Out ($head + $q + 'ok' + $q + ':true,' + $q + 'idleMs' + $q + ':' + $ms.ToString($inv) + '}') }",
    "elseif ($w[1] -eq 'presence') { $fp = [IdlewatchPresence]::FgPid(); $fn = $null;",
    'if ($fp -gt 0) { $fn = (Get-Process -Id $fp -ErrorAction SilentlyContinue).ProcessName };',
    "Out ($head + $q + 'ok' + $q + ':true,' + $q + 'quns' + $q + ':' + [IdlewatchPresence]::Quns().ToString($inv) + ',' +",
    "$q + 'fgWindow' + $q + ':' + [IdlewatchPresence]::FgWindow().ToString($inv) + ',' + $q + 'fgPid' + $q + ':' + $fp.ToString($inv) + ',' +",
    "$q + 'fgName' + $q + ':' + (J $fn) + ',' + $q + 'pads' + $q + ':' + (J ([IdlewatchPresence]::Pads())) + '}') }",
    "elseif ($w[1] -eq 'ident') { $ids = @($w[2].Split(',') | ForEach-Object { [int]$_ });",
    "$filter = ($ids | ForEach-Object { 'ProcessId=' + $_.ToString($inv) }) -join ' OR ';",
    '$rows = @(Get-CimInstance -ClassName Win32_Process -Filter $filter | ForEach-Object {',
    '$o = Invoke-CimMethod -InputObject $_ -MethodName GetOwner -ErrorAction SilentlyContinue;',
    "$u = $null; if ($o -and $o.User) { $u = $o.Domain + '\\' + $o.User };",
    '$st = 0; if ($_.CreationDate) { $st = [DateTimeOffset]::new($_.CreationDate).ToUnixTimeMilliseconds() };',
    "'[' + $_.ProcessId.ToString($inv) + ',' + $_.ParentProcessId.ToString($inv) + ',' + (J $_.Name) + ',' + (J $_.ExecutablePath) + ',' + (J $_.CommandLine) + ',' + $st.ToString($inv) + ',' + (J $u) + ']' });",
    "Out ($head + $q + 'ok' + $q + ':true,' + $q + 'procs' + $q + ':[' + ($rows -join ',') + ']}') }",
    "else { throw ('unknown request: ' + $w[1]) } }",
    "catch { Out ($head + $q + 'ok' + $q + ':false,' + $q + 'error' + $q + ':' + (J $_.ToString()) + '}') } }",
  ].join(' ');
}

export function helperArgs(): string[] {
  return [...POWERSHELL_PREFIX, '-Command', helperScript()];
}

/** Most pids in one WMI filter: keeps the WQL short and one answer bounded. */
export const IDENT_BATCH = 64;

/** The request line for identities; pids are checked integers. */
export function identRequest(id: number, pids: readonly number[]): string {
  if (pids.length === 0 || pids.length > IDENT_BATCH) throw new Error(`ident takes 1..${IDENT_BATCH} pids`);
  return `${checkedInt(id, 'request id')} ident ${pids.map((p) => checkedInt(p, 'pid')).join(',')}`;
}

export function presenceRequest(id: number): string {
  return `${checkedInt(id, 'request id')} presence`;
}

export function idleRequest(id: number): string {
  return `${checkedInt(id, 'request id')} idle`;
}
