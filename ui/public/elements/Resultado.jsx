// vozbd: a query result as a compact table — sortable by clicking a column title, scrolling inside its own box
// (both ways, so a wide result never pushes the page sideways on a phone), header kept in view.
// Props (from ui/results.py): columns, rows (pt-BR display text), values (sort keys), numeric, caption, sortHint.
import { useMemo, useState } from "react";

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // empty cells last, whatever the direction
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), "pt-BR", { numeric: true, sensitivity: "base" });
}

export default function Resultado() {
  const [sort, setSort] = useState({ column: -1, direction: 1 });
  const order = useMemo(() => {
    const indexes = props.rows.map((_, i) => i);
    if (sort.column < 0) return indexes;
    const values = props.values;
    return indexes.sort((a, b) => {
      const x = values[a][sort.column];
      const y = values[b][sort.column];
      if (x === null || x === undefined || y === null || y === undefined) return compare(x, y);
      return compare(x, y) * sort.direction || a - b;
    });
  }, [sort]);

  function toggle(column) {
    setSort((current) =>
      current.column === column ? { column, direction: -current.direction } : { column, direction: 1 }
    );
  }

  function ariaSort(column) {
    if (sort.column !== column) return "none";
    return sort.direction > 0 ? "ascending" : "descending";
  }

  return (
    <div className="vozbd-result">
      <div className="vozbd-result-scroll" tabIndex={0}>
        <table>
          <thead>
            <tr>
              {props.columns.map((name, column) => (
                <th key={column} className={props.numeric[column] ? "num" : ""} aria-sort={ariaSort(column)}>
                  <button type="button" title={props.sortHint} onClick={() => toggle(column)}>
                    {name}
                    {sort.column === column ? (sort.direction > 0 ? " ▲" : " ▼") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {order.map((row) => (
              <tr key={row}>
                {props.rows[row].map((cell, column) => (
                  <td key={column} className={props.numeric[column] ? "num" : ""} title={cell.length > 40 ? cell : undefined}>
                    {cell}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="vozbd-result-caption">
        <span>{props.caption}</span>
      </div>
    </div>
  );
}
