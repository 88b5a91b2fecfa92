import type { ReactNode } from 'react';

export interface GridColumn {
  label: string;
  /** Right-aligned numbers. */
  num?: boolean;
  /** A heading only screen readers announce (a column of buttons). */
  hidden?: boolean;
}

/** The one row of an empty table, spanning all its columns. */
export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={columns} className="empty">
        {children}
      </td>
    </tr>
  );
}

/**
 * A scrollable data table with its column headings; `empty` (a message) replaces the rows when
 * there are none. The empty row spans the columns given, so the two cannot drift apart.
 */
export function GridTable({
  label,
  testId,
  columns,
  busy,
  empty,
  children,
}: {
  label: string;
  testId: string;
  columns: readonly GridColumn[];
  busy?: boolean;
  /** Shown instead of the rows; null when there are rows. */
  empty: ReactNode | null;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className="grid" aria-label={label} data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.num ? 'num' : undefined}>
                {c.hidden ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{empty === null ? children : <EmptyRow columns={columns.length}>{empty}</EmptyRow>}</tbody>
      </table>
    </div>
  );
}
