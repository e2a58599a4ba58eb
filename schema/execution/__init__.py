"""How validated operations are executed: straight through graphql-core for POSTed operations
(direct.py), whose executor has two exact shortcuts, a fast path for plain leaf fields (fastpath.py) and
cached execution plans for queries (plan.py); strawberry_fields.py holds what both need to know about
Strawberry's fields."""
