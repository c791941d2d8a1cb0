"""fal and Replicate (any hosted model): backends whose request is a small user-editable JSON
template (the ComfyUI server has its own module, app.providers.comfy).

A template is JSON with placeholders: a string that is exactly "{{name}}" becomes the value
(with its type), "{{name}}" inside a longer string is replaced as text. Names: prompt, negative,
image, end_image (data URIs; ComfyUI: uploaded file names), duration, fps, frames, width, height,
ratio, seed. Templates live in settings.json under "templates": {backend: {model: template}};
ComfyUI's is {"workflow": <API-format graph exported from ComfyUI>, "inputs": {name: [node id,
input name]}}.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx

from app.core.errors import NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import check_model
from app.providers.hosted import data_uri
from app.providers.http import Http, ProviderError
from app.providers.journal import Job
from app.providers.remote import RemoteBackend, Status, nearest_ratio
from app.providers.settings import load_settings

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
VIDEO_EXT = (".mp4", ".mov", ".webm", ".mkv", ".gif")


def fill(template: Any, values: dict[str, Any]) -> Any:
    """The template with placeholders replaced; an unknown placeholder is an error."""
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole:
            if whole.group(1) not in values:
                raise NodeError(
                    f"the template uses {{{{{whole.group(1)}}}}}, which Reelgraph does not fill; "
                    f"use one of {', '.join(sorted(values))}",
                    field="param 'model'",
                )
            return values[whole.group(1)]

        def sub(m: re.Match) -> str:
            if m.group(1) not in values:
                raise NodeError(
                    f"the template uses {{{{{m.group(1)}}}}}, which Reelgraph does not fill",
                    field="param 'model'",
                )
            return str(values[m.group(1)])

        return PLACEHOLDER.sub(sub, template)
    return template


def uses(template: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(template, dict):
        for v in template.values():
            found |= uses(v)
    elif isinstance(template, list):
        for v in template:
            found |= uses(v)
    elif isinstance(template, str):
        found |= set(PLACEHOLDER.findall(template))
    return found


def find_urls(data: Any) -> list[str]:
    """Every http(s) URL in a result, videos first."""
    urls: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str) and x.startswith(("http://", "https://")):
            urls.append(x)

    walk(data)
    return sorted(urls, key=lambda u: 0 if u.split("?")[0].lower().endswith(VIDEO_EXT) else 1)


def values_for(req: GenerateRequest, image: Any = None, end_image: Any = None) -> dict[str, Any]:
    return {
        "prompt": req.prompt.get("text") or "",
        "negative": req.prompt.get("negative") or "",
        "image": image,
        "end_image": end_image,
        "duration": req.duration,
        "fps": req.fps,
        "frames": max(1, round(req.duration * req.fps)),
        "width": req.width,
        "height": req.height,
        "ratio": nearest_ratio(
            req.width, req.height, ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9")
        ),
        "seed": req.seed,
    }


class TemplateBackend(RemoteBackend):
    """fal/Replicate: the model is the endpoint; the template maps our request to its input."""

    DEFAULT_TEMPLATE: dict[str, Any] = {}

    def models(self) -> list[str]:
        """The catalog's known ids plus those the user has templates for (any valid id runs)."""
        return list(
            dict.fromkeys(
                super().models() + sorted(load_settings().get("templates", {}).get(self.name, {}))
            )
        )

    def template(self, model: str) -> Any:
        return (
            load_settings().get("templates", {}).get(self.name, {}).get(model)
            or self.DEFAULT_TEMPLATE
        )

    def check(self, connected: frozenset[str], params: Any) -> list[tuple[str | None, str]]:
        # the model id is a path segment of the request: only ids of the documented grammar
        _, _, problems = check_model(self.name, "generate", params.model, params.mode)
        if problems:
            return problems
        t = uses(self.template(params.model))
        for inp, name in (("image", "image"), ("end_image", "end_image")):
            if inp in connected and name not in t:
                problems.append(
                    (
                        f"input '{inp}'",
                        f"the {self.title} template for {params.model} has no "
                        f"{{{{{name}}}}}: the {inp} would be ignored; add it to the template or disconnect",
                    )
                )
        for inp in ("motion", "camera"):
            if inp in connected:
                problems.append(
                    (f"input '{inp}'", f"{self.title} templates take no {inp}; disconnect it")
                )
        return problems + self.key_problem()

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        values = values_for(
            req,
            data_uri(req.image) if req.image else None,
            data_uri(req.end_image) if req.end_image else None,
        )
        return {"model": req.model, "input": fill(copy.deepcopy(self.template(req.model)), values)}

    def body_for_take(
        self, body: dict[str, Any], req: GenerateRequest, take: int
    ) -> dict[str, Any]:
        if take == 1:
            return body
        values = values_for(req, "{{image}}", "{{end_image}}")
        values["seed"] = req.seed + take - 1
        if "seed" not in uses(self.template(req.model)):
            return body
        # re-fill only the seed: everything else stays as the first take's
        return {
            "model": body["model"],
            "input": _reseed(body["input"], self.template(req.model), values["seed"]),
        }


def _reseed(filled: Any, template: Any, seed: int) -> Any:
    if isinstance(template, dict) and isinstance(filled, dict):
        return {k: _reseed(filled.get(k), v, seed) for k, v in template.items()}
    if isinstance(template, list) and isinstance(filled, list):
        return [_reseed(f, t, seed) for f, t in zip(filled, template, strict=False)]
    if template == "{{seed}}":
        return seed
    return filled


class FalBackend(TemplateBackend):
    name = "fal"
    title = "fal"
    poll_interval = 2.0
    supports_cancel = True
    DEFAULT_TEMPLATE = {
        "prompt": "{{prompt}}",
        "image_url": "{{image}}",
        "duration": "{{duration}}",
        "negative_prompt": "{{negative}}",
        "seed": "{{seed}}",
    }

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.api_key()}"}

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = http.json(
            "POST", f"/{body['model']}", json=body["input"], submit=True, classify=self.classify
        )
        # fal returns the URLs to use: keep them, never rebuild them
        urls = {k: data[k] for k in ("status_url", "response_url", "cancel_url") if data.get(k)}
        return str(data["request_id"]), urls

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", job.urls["status_url"], classify=self.classify)
        st = data.get("status")
        if st == "COMPLETED":
            if data.get("error"):
                return Status("failed", None, str(data.get("error")))
            result = http.json("GET", job.urls["response_url"], classify=self.classify)
            urls = find_urls(result)
            return (
                Status("done", 1.0, "", urls[:1])
                if urls
                else Status("failed", None, "fal returned no file")
            )
        pos = data.get("queue_position")
        return Status(
            "running", None, f"{st} (queue position {pos})" if pos is not None else (st or "")
        )

    def cancel(self, http: Http, job: Job) -> None:
        if job.urls.get("cancel_url"):
            http.request("PUT", job.urls["cancel_url"], classify=self.classify)


class ReplicateBackend(TemplateBackend):
    name = "replicate"
    title = "Replicate"
    poll_interval = 2.0
    supports_cancel = True
    DEFAULT_TEMPLATE = {
        "prompt": "{{prompt}}",
        "start_image": "{{image}}",
        "duration": "{{duration}}",
        "seed": "{{seed}}",
    }

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}"}

    def classify(self, resp: httpx.Response) -> ProviderError | None:
        problem = super().classify(resp)
        if problem is not None:
            try:
                doc = resp.json()  # RFC 7807 problem documents
                problem = ProviderError(
                    f"Replicate: {doc.get('title', '')}: {doc.get('detail', '')}",
                    status=resp.status_code,
                )
            except ValueError:
                pass
        return problem

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        model = body["model"]
        if ":" in model or "/" not in model:  # owner/name:version, or a bare version id
            payload = {"version": model.split(":", 1)[-1], "input": body["input"]}
            path = "/v1/predictions"
        else:
            payload = {"input": body["input"]}
            path = f"/v1/models/{model}/predictions"
        data = http.json("POST", path, json=payload, submit=True, classify=self.classify)
        return str(data["id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", f"/v1/predictions/{job.provider_id}", classify=self.classify)
        st = data.get("status")
        if st == "succeeded":
            urls = find_urls(data.get("output"))
            return (
                Status("done", 1.0, "", urls[:1])
                if urls
                else Status("failed", None, "no output file")
            )
        if st == "failed":
            return Status("failed", None, str(data.get("error") or "failed"))
        if st == "canceled":
            return Status("cancelled", None, "canceled")
        return Status("running", None, st or "")

    def cancel(self, http: Http, job: Job) -> None:
        http.request("POST", f"/v1/predictions/{job.provider_id}/cancel", classify=self.classify)
