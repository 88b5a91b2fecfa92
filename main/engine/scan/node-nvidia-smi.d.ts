/** Types for `node-nvidia-smi` (it ships none): one function that runs `nvidia-smi -q -x` and hands back xml2js's object. */
declare module 'node-nvidia-smi' {
  /** `err` is an Error (exec or XML failure) or the tool's stderr text when it printed any. */
  type NvidiaSmiCallback = (err: Error | string | null, data?: unknown) => void;
  function nvidiaSmi(callback: NvidiaSmiCallback): void;
  export default nvidiaSmi;
}
