/**
 * Lists from the API: builds Pocket ID's list query (pagination[page],
 * pagination[limit], sort[column], sort[direction], filters[field], search)
 * and fetches one page.
 */
import { api } from './api';
import type { Paginated } from './types';

export type SortDirection = 'asc' | 'desc';

export interface ListQuery {
  page: number;
  limit: number;
  sort?: { column: string; direction: SortDirection } | null;
  search?: string;
  /** Empty values are left out; arrays repeat the parameter. */
  filters?: Record<string, string | string[] | undefined>;
}

/** Page sizes offered under every table (the server allows at most 100). */
export const PAGE_SIZES = [10, 20, 50, 100] as const;

function pair(key: string, value: string | number): string {
  // Brackets stay literal, as Pocket ID's clients send them.
  return `${key}=${encodeURIComponent(String(value))}`;
}

/** The query string for `q`, with its leading "?". */
export function listQuery(q: ListQuery): string {
  const parts = [pair('pagination[page]', q.page), pair('pagination[limit]', q.limit)];
  if (q.sort) {
    parts.push(pair('sort[column]', q.sort.column), pair('sort[direction]', q.sort.direction));
  }
  for (const [field, value] of Object.entries(q.filters ?? {})) {
    const values = Array.isArray(value) ? value : value ? [value] : [];
    for (const v of values) if (v !== '') parts.push(pair(`filters[${field}]`, v));
  }
  const search = q.search?.trim();
  if (search) parts.push(pair('search', search));
  return '?' + parts.join('&');
}

/** Fetches one page of `path` (an /api list route). */
export function fetchList<T>(path: string, q: ListQuery): Promise<Paginated<T>> {
  return api<Paginated<T>>('GET', path + listQuery(q)).then((body) => ({
    data: Array.isArray(body?.data) ? body.data : [],
    pagination: body?.pagination ?? {
      totalPages: 1,
      totalItems: 0,
      currentPage: 1,
      itemsPerPage: q.limit,
    },
  }));
}

/** Fetches every item of a list (up to `max`), 100 at a time. */
export async function fetchAll<T>(path: string, max = 1000, search = ''): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; out.length < max; page++) {
    const res = await fetchList<T>(path, { page, limit: 100, search });
    out.push(...res.data);
    if (page >= res.pagination.totalPages || res.data.length === 0) break;
  }
  return out;
}
