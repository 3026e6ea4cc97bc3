/** One schema step. `sql` runs inside a transaction together with `PRAGMA user_version = version`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
