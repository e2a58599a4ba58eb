"""Schema extensions that wrap every operation."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from schema.observability import record_operation


class DatabaseTransaction(SchemaExtension):
    """Commit the operation's session when it produced no errors, roll back otherwise, always close.

    This runs around the whole operation, so it sees resolver errors (a FastAPI `yield` dependency
    would not). Parse errors are raised into the `yield` when the parser cache is on, hence the
    try/finally.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        succeeded = False
        try:
            yield
            result = self.execution_context.result
            succeeded = result is not None and not result.errors
        finally:
            try:
                await self.before_finish(succeeded)
            finally:
                await self.execution_context.context.finish(commit=succeeded)

    async def before_finish(self, succeeded: bool) -> None:
        """Runs after the operation, while its session is still open."""


class RecordedTransaction(DatabaseTransaction):
    """DatabaseTransaction that also records the operation for the access log and metrics, in the same
    `on_operation` hook (one async generator per operation instead of two)."""

    async def before_finish(self, succeeded: bool) -> None:
        await record_operation(self.execution_context, "ok" if succeeded else "error")
