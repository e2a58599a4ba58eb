"""Schema extensions that wrap every operation, and the end of an operation they share with direct
execution (schema/execution/direct.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from schema.context import Context
from schema.observability import record_operation


async def end_operation(context: Context, *, name: str | None, succeeded: bool, record: bool = True) -> None:
    """Record the operation for the access log and metrics (while its session is still open), then commit
    its session if it produced no errors, roll back otherwise, and close it."""
    try:
        if record:
            await record_operation(context, name, "ok" if succeeded else "error")
    finally:
        await context.finish(commit=succeeded)


class DatabaseTransaction(SchemaExtension):
    """Commit the operation's session when it produced no errors, roll back otherwise, always close.

    This runs around the whole operation, so it sees resolver errors (a FastAPI `yield` dependency
    would not). Parse errors are raised into the `yield` when the parser cache is on, hence the
    try/finally.
    """

    records = False

    async def on_operation(self) -> AsyncIterator[None]:
        succeeded = False
        try:
            yield
            result = self.execution_context.result
            succeeded = result is not None and not result.errors
        finally:
            await end_operation(
                self.execution_context.context, name=self._operation_name(), succeeded=succeeded, record=self.records
            )

    def _operation_name(self) -> str | None:
        try:
            return self.execution_context.operation_name
        except Exception:  # noqa: BLE001 - a document that did not parse has no name to report
            return None


class RecordedTransaction(DatabaseTransaction):
    """DatabaseTransaction that also records the operation for the access log and metrics, in the same
    `on_operation` hook (one async generator per operation instead of two)."""

    records = True
