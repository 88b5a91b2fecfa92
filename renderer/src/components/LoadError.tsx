/** Says that `what` could not be loaded, with the engine's own message; nothing when it loaded. */
export function LoadError({ what, error }: { what: string; error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      Could not load {what}: {error}
    </p>
  );
}
