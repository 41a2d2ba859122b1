/** What a virtualised feed reads: a size and the i-th newest entry. */
export interface ListSource<T> {
  readonly size: number;
  newest(i: number): T | undefined;
}

/** An array as a `ListSource` (a `Ring` is one as it is, without copying). */
export function arraySource<T>(items: readonly T[]): ListSource<T> {
  return { size: items.length, newest: (i) => items[i] };
}
