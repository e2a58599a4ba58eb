"""How validated operations are executed: graphql-core's executor with two exact shortcuts, a fast path
for plain leaf fields (fastpath.py) and cached execution plans for queries (plan.py)."""
