"""ArtifactBrowser: a run's artifact tree, loaded one directory at a time, with file previews.

Directories are listed through :meth:`TrackingClient.list_artifacts` only when opened, so a run
with thousands of files costs one listing per click. A selected file is previewed by kind
(``widgets/_previews.py``) within a size cap, and can be downloaded: small files through a
``data:`` link the browser saves (works in JupyterLab, Notebook, VS Code and Voila alike), and,
in a notebook the user runs themselves, by saving it into a folder under the working directory
(never in an app served to visitors: see ``widgets/_app_mode.py``).
"""

from __future__ import annotations

import contextlib
import html
import os
import posixpath
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.widgets._app_mode import app_mode, confined_folder
from jupyter_mltrack.widgets._artifact_view import (
    INLINE_DOWNLOAD_LIMIT,
    dir_row,
    download_link,
    file_row,
    placeholder,
    preview_widgets,
    tree_header,
)
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children, reporting
from jupyter_mltrack.widgets._previews import (
    HEAD_KINDS,
    READ_LIMITS,
    Preview,
    build_preview,
    data_uri_link,
    format_size,
    preview_kind,
)

if TYPE_CHECKING:
    from jupyter_mltrack.artifacts import ArtifactRepository
    from jupyter_mltrack.entities import FileInfo
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["DATA_URI_LIMIT", "SAVE_FOLDER", "ArtifactBrowser"]

#: Largest file offered as a browser download (base64 inflates it by a third on the wire).
DATA_URI_LIMIT = 10 * 1024 * 1024
#: The default folder of "Save", relative to the working directory.
SAVE_FOLDER = "mltrack-downloads"
#: Entries shown per directory; the rest are summarised in one line.
MAX_ENTRIES = 200


class ArtifactBrowser(TrackedWidget):
    """Browse and preview the artifacts of one run.

    Args:
        run_id: The run whose artifacts to show.
        client: A tracking client; by default one for ``tracking_uri`` or the current URI.
        tracking_uri: The store to read when no client is given.
        registry: Unused; accepted so every widget takes the same client arguments.
        allow_save: Offer "Save to a folder" (under the working directory) besides the browser
            download. Never in app mode (the Voila dashboard), whatever is passed.

    Example:
        >>> from jupyter_mltrack.widgets import ArtifactBrowser
        >>> browser = ArtifactBrowser(run_id)  # doctest: +SKIP
        >>> browser.open_directory("plots"); browser.select("plots/loss.png")  # doctest: +SKIP
    """

    css_name = "artifact-browser"

    def __init__(
        self,
        run_id: str,
        *,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
        allow_save: bool = True,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        self.run_id = run_id
        #: Whether files may be saved into a folder on the kernel's machine (never in app mode).
        self.allow_save = allow_save and not app_mode()
        #: The artifact path shown in the preview pane, or None.
        self.selected_path: str | None = None
        #: The last preview built (for tests and for callers that want the figure dict).
        self.last_preview: Preview | None = None
        self._repo: ArtifactRepository | None = None
        self._sizes: dict[str, int | None] = {}
        self._children: dict[str, ipywidgets.VBox] = {}
        self._dir_buttons: dict[str, ipywidgets.Button] = {}
        self._file_buttons: dict[str, ipywidgets.Button] = {}
        self._loaded: set[str] = set()
        self.tree = ipywidgets.VBox(layout=ipywidgets.Layout(width="35%", overflow="auto"))
        self.tree.add_class("mltrack-artifact-tree")
        self.preview = ipywidgets.VBox(layout=ipywidgets.Layout(width="65%"))
        self.preview.add_class("mltrack-artifact-preview")
        self.body.children = [ipywidgets.HBox([self.tree, self.preview])]
        self.refresh()

    # -- loading ----------------------------------------------------------------------------
    def _build(self) -> None:
        from jupyter_mltrack.tracking.client_artifacts import artifact_repository

        replace_children(self.tree, ())
        replace_children(self.preview, (placeholder(),))
        self._children.clear()
        self._dir_buttons.clear()
        self._file_buttons.clear()
        self._loaded.clear()
        self._sizes.clear()
        self.selected_path = None
        run = self.tracking.get_run(self.run_id)
        self._repo = artifact_repository(run.info.artifact_uri, self.tracking.tracking_uri)
        entries = self.tracking.list_artifacts(self.run_id)
        if not entries:
            self.notice.info("This run has no artifacts yet.")
        replace_children(self.tree, (tree_header(), *self._rows(entries, depth=0)))

    def _rows(self, entries: list[FileInfo], depth: int) -> list[ipywidgets.Widget]:
        rows: list[ipywidgets.Widget] = []
        for info in entries[:MAX_ENTRIES]:
            rows.extend(
                self._dir_rows(info, depth) if info.is_dir else [self._file_row(info, depth)]
            )
        if len(entries) > MAX_ENTRIES:
            more = ipywidgets.HTML(f"<i>... {len(entries) - MAX_ENTRIES} more entries</i>")
            rows.append(more)
        return rows

    def _dir_rows(self, info: FileInfo, depth: int) -> list[ipywidgets.Widget]:
        row, button = dir_row(info.path, depth)
        children = ipywidgets.VBox()
        children.layout.display = "none"
        self._children[info.path] = children
        self._dir_buttons[info.path] = button
        button.on_click(lambda _b, path=info.path: self._toggle(path))
        return [row, children]

    def _file_row(self, info: FileInfo, depth: int) -> ipywidgets.Widget:
        self._sizes[info.path] = info.file_size
        row, button = file_row(info.path, info.file_size, depth)
        self._file_buttons[info.path] = button
        button.on_click(lambda _b, path=info.path: self.select(path))
        return row

    def _toggle(self, path: str) -> None:
        box, button = self._children[path], self._dir_buttons[path]
        if box.layout.display == "none":
            self.open_directory(path)
        else:
            box.layout.display = "none"
            button.description = button.description.replace("▾", "▸", 1)
            button.icon = "folder"

    def open_directory(self, path: str) -> None:
        """Expand a directory of the tree, listing it from the store on first opening."""
        box = self._children.get(path)
        if box is None:
            self.notice.error(f"No directory {path!r} is shown; open its parent first")
            return
        self.notice.clear()
        if path not in self._loaded:
            with reporting(self.notice, f"list {path!r}"):
                entries = self.tracking.list_artifacts(self.run_id, path)
                replace_children(box, self._rows(entries, depth=path.count("/") + 1))
                self._loaded.add(path)
        box.layout.display = None
        button = self._dir_buttons[path]
        button.description = button.description.replace("▸", "▾", 1)
        button.icon = "folder-open"

    # -- preview ------------------------------------------------------------------------------
    def select(self, path: str) -> None:
        """Show the preview and download controls of the artifact file ``path``."""
        self.notice.clear()
        self._mark_selected(path)
        self.selected_path = path
        size = self._sizes.get(path)
        header = ipywidgets.HTML(f"<b>{html.escape(path)}</b> {format_size(size)}")
        header.add_class("mltrack-preview-header")
        content: list[ipywidgets.Widget] = []
        data: bytes | None = None
        with reporting(self.notice, f"preview {path!r}"):
            preview, data = self._preview(path, size)
            self.last_preview = preview
            content = preview_widgets(preview)
        download = self._download_row(path, size, data)
        replace_children(self.preview, (header, download, *content))

    def _mark_selected(self, path: str) -> None:
        """Highlight the selected file's row, and only it."""
        previous = self._file_buttons.get(self.selected_path or "")
        if previous is not None:
            previous.remove_class("mltrack-selected")
        current = self._file_buttons.get(path)
        if current is not None:
            current.add_class("mltrack-selected")

    def _preview(self, path: str, size: int | None) -> tuple[Preview, bytes | None]:
        """The preview of ``path``, and the file's bytes when it was read whole (else None)."""
        kind = preview_kind(path)
        limit = READ_LIMITS.get(kind)
        if limit is None:
            small = size is not None and size <= INLINE_DOWNLOAD_LIMIT
            return build_preview(path, b"", total_size=None), self._read(path) if small else None
        if size is not None and size > limit:
            head = self._read_head(path, limit) if kind in HEAD_KINDS else None
            if head is None:
                note = f"Too large to preview ({format_size(size)}, limit {format_size(limit)})"
                return Preview(kind=kind, note=f"{note}; use Download."), None
            return build_preview(path, head, total_size=size), None
        data = self._read(path)
        return build_preview(path, data, total_size=size), data

    def _read(self, path: str) -> bytes:
        assert self._repo is not None
        return self._repo.read_bytes(path)

    def _read_head(self, path: str, limit: int) -> bytes | None:
        """Read the first ``limit`` bytes of a file in a local store; None for remote stores."""
        from jupyter_mltrack._validation import validate_artifact_path
        from jupyter_mltrack.artifacts.local import LocalArtifactRepository

        repo = self._repo
        if not isinstance(repo, LocalArtifactRepository):
            return None
        rel = validate_artifact_path(path)  # never outside the run's folder
        with open(os.path.join(repo.root, *rel.split("/")), "rb") as file:
            return file.read(limit)

    # -- download -----------------------------------------------------------------------------
    def _download_row(self, path: str, size: int | None, data: bytes | None) -> ipywidgets.Widget:
        link = ipywidgets.HTML("")
        link.add_class("mltrack-download-output")
        download: ipywidgets.Widget
        if data is not None and len(data) <= INLINE_DOWNLOAD_LIMIT:
            download = download_link(path, data)  # already read for the preview: one click
        else:
            download = self._download_button(path, size, link)
        if not self.allow_save:
            # Served to visitors (app mode) or turned off: the browser download is all there is,
            # and no widget exists whose value could name a folder on the server.
            return ipywidgets.VBox([ipywidgets.HBox([download]), link])
        folder = ipywidgets.Text(
            value=SAVE_FOLDER,
            description="Folder",
            tooltip="A folder under the working directory",
            layout=ipywidgets.Layout(width="320px"),
        )
        folder.add_class("mltrack-save-folder")
        save = ipywidgets.Button(description="Save", icon="save")
        save.add_class("mltrack-save")
        save.on_click(lambda _b: self.save_to(path, folder.value, link))
        return ipywidgets.VBox([ipywidgets.HBox([download, folder, save]), link])

    def _download_button(
        self, path: str, size: int | None, link: ipywidgets.HTML
    ) -> ipywidgets.Button:
        """For a file not read yet: a button that sends it to the browser when pressed."""
        download = ipywidgets.Button(description="Download", icon="download")
        download.add_class("mltrack-download")
        if size is not None and size > DATA_URI_LIMIT:
            download.disabled = True
            download.tooltip = f"Over {format_size(DATA_URI_LIMIT)}: too large for the browser"
        download.on_click(lambda _b: self.prepare_download(path, link))
        return download

    def prepare_download(self, path: str, target: ipywidgets.HTML | None = None) -> str:
        """Put a browser download link for ``path`` into ``target``; return the link's HTML."""
        html_link = ""
        with reporting(self.notice, f"download {path!r}"):
            html_link = data_uri_link(path, self._read(path))
        if target is not None:
            target.value = html_link
        return html_link

    def save_to(self, path: str, folder: str, target: ipywidgets.HTML | None = None) -> str | None:
        """Copy the artifact file ``path`` into ``folder``, a folder under the working directory.

        Only in a notebook the user runs themselves: in app mode (the Voila dashboard) or with
        ``allow_save=False`` nothing is written. The folder (relative to the working directory,
        or absolute) must resolve inside the working directory, symlinks followed; the file is
        written under its own name through a temporary file, so an existing symlink in the
        folder is replaced, never followed. Returns the saved file, or None (see the notice).
        """
        saved: str | None = None
        with reporting(self.notice, f"save {path!r}"):
            if not self.allow_save:
                raise InvalidParameterError(
                    "Saving to a folder is disabled here; use Download instead"
                )
            saved = self._save_confined(path, confined_folder(folder))
            self.notice.info(f"Saved to {saved}")
        if target is not None and saved:
            target.value = f"Saved to <code>{html.escape(saved)}</code>"
        return saved

    def _save_confined(self, path: str, folder: Path) -> str:
        from jupyter_mltrack._validation import validate_artifact_path

        name = posixpath.basename(validate_artifact_path(path))
        folder.mkdir(parents=True, exist_ok=True)
        destination = folder / name
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(self._read(path))
            os.replace(temporary, destination)  # replaces a symlink itself, never its target
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return str(destination)
