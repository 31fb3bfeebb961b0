"""Parquet files, read batch by batch so that big files stream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from catalog.errors import DataError
from finetune.data.readers.base import first_line


def parquet_records(path: Path, compression: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parquet rows in batches, so big files stream (a compressed Parquet file is decompressed into memory first:
    Parquet needs to seek)."""
    import io

    import pyarrow.parquet as pq

    from finetune.data.readers.compressed import open_decompressed

    try:
        if compression is None:
            table = pq.ParquetFile(path)
        else:
            with open_decompressed(path, compression) as fh:
                table = pq.ParquetFile(io.BytesIO(fh.read()))
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"{path.name} is not a readable Parquet file ({first_line(exc)}).") from None
    number = 0
    batches = table.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches, None)
        except Exception as exc:  # a damaged page shows only when it is read
            raise DataError(f"{path.name} is a damaged Parquet file: rows after {number} cannot be read "
                            f"({first_line(exc)}). Write the file again.") from None
        if batch is None:
            return
        for record in batch.to_pylist():
            number += 1
            yield number, record
