"""The parse/validation caches' lookup: schema/validation.py's `LruCache` against functools.lru_cache and
cachetools.LRUCache, on hits (the case that matters: a server sees the same few documents again and again).

    uv run --with cachetools python -m bench.micro.lru_cache
"""

from __future__ import annotations

import functools
from functools import partial

from bench.micro._timing import per_call_us
from schema.validation import CACHE_SIZE, LruCache

CALLS = 200_000
# Distinct strings of realistic length, looked up by an equal but not identical string (as a request's
# decoded body would be), so every lookup compares the text once, as in the server.
DOCUMENTS = [f"query Q{i} {{ viewer {{ id email name sessions(first: 5) {{ edges {{ node {{ id }} }} }} }} }}" for i in range(100)]
LOOKUPS = ["".join(list(text)) for text in DOCUMENTS]


def compute(text: str) -> int:
    return len(text)


def main() -> None:
    results: dict[str, float] = {}
    ours: LruCache[str, int] = LruCache(CACHE_SIZE)
    for text in DOCUMENTS:
        ours.get_or_compute(text, partial(compute, text))
    key = LOOKUPS[7]
    # As schema/validation.py calls it: a partial for the miss path is built on every lookup.
    results["LruCache.get_or_compute, as called (with its partial)"] = per_call_us(
        lambda: ours.get_or_compute(key, partial(compute, key)), calls=CALLS
    )
    results["LruCache.get_or_compute, bare"] = per_call_us(lambda: ours.get_or_compute(key, compute), calls=CALLS)

    cached = functools.lru_cache(maxsize=CACHE_SIZE)(compute)
    for text in DOCUMENTS:
        cached(text)
    results["functools.lru_cache (C), key = the text only"] = per_call_us(lambda: cached(key), calls=CALLS)
    schema = object()
    keyed = functools.lru_cache(maxsize=CACHE_SIZE)(lambda schema, text: len(text))
    for text in DOCUMENTS:
        keyed(schema, text)
    results["functools.lru_cache (C), key = (schema, text)"] = per_call_us(lambda: keyed(schema, key), calls=CALLS)

    try:
        import cachetools
    except ImportError:
        print("cachetools is not installed: run with `uv run --with cachetools ...`")
    else:
        theirs = cachetools.LRUCache(maxsize=CACHE_SIZE)
        for text in DOCUMENTS:
            theirs[text] = compute(text)

        def cachetools_lookup() -> int:
            try:
                return theirs[key]
            except KeyError:
                value = theirs[key] = compute(key)
                return value

        results[f"cachetools {cachetools.__version__} LRUCache, get or set"] = per_call_us(cachetools_lookup, calls=CALLS)
        decorated = cachetools.cached(cachetools.LRUCache(maxsize=CACHE_SIZE))(compute)
        for text in DOCUMENTS:
            decorated(text)
        results[f"cachetools {cachetools.__version__} @cached(LRUCache)"] = per_call_us(lambda: decorated(key), calls=CALLS)

    for name, us in results.items():
        print(f"{us:7.3f} µs  {name}")


if __name__ == "__main__":
    main()
