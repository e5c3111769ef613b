import type { Event } from '../events/types.js';

/**
 * Which events an endpoint wants: the registry's ignore rules (docs/compatibility.md §4.7) plus regnotify's
 * repository/tag filters. Used by the in-memory IgnoredSink and the durable producer alike.
 */
export interface EventFilter {
  /** `ignore.mediatypes` + `ignoredmediatypes`: exact, case-sensitive matches. */
  ignoredMediaTypes?: readonly string[];
  /** `ignore.actions`. Media types OR actions, as registry 3.1 (actions alone work). */
  ignoredActions?: readonly string[];
  repositories?: { include?: readonly string[]; exclude?: readonly string[] };
  tags?: { include?: readonly string[]; exclude?: readonly string[] };
}

/** `*` matches any run of characters (including `/`); everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${body.join('.*')}$`);
}

function matcher(filter?: {
  include?: readonly string[];
  exclude?: readonly string[];
}): (value: string | undefined) => boolean {
  const include = (filter?.include ?? []).map(globToRegExp);
  const exclude = (filter?.exclude ?? []).map(globToRegExp);
  if (include.length === 0 && exclude.length === 0) return () => true;
  return (value) => {
    const v = value ?? '';
    if (include.length > 0 && !include.some((re) => re.test(v))) return false;
    return !exclude.some((re) => re.test(v));
  };
}

/** Builds the predicate once per endpoint; it runs for every event on the ingest hot path. */
export function eventFilter(filter: EventFilter): (event: Event) => boolean {
  const mediaTypes = new Set(filter.ignoredMediaTypes ?? []);
  const actions = new Set(filter.ignoredActions ?? []);
  const repository = matcher(filter.repositories);
  const tagFilter = filter.tags;
  const tag = matcher(tagFilter);
  const hasTagFilter = (tagFilter?.include?.length ?? 0) + (tagFilter?.exclude?.length ?? 0) > 0;
  return (event) => {
    if (mediaTypes.has(event.target.mediaType) || actions.has(event.action)) return false;
    if (!repository(event.target.repository)) return false;
    // Tag filters judge only events that carry a tag; blob and digest events pass.
    if (hasTagFilter && event.target.tag !== undefined && !tag(event.target.tag)) return false;
    return true;
  };
}
