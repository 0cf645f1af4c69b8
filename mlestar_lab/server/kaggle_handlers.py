"""Thin handlers of the Kaggle routes: parse, run `KaggleActions` in a thread, reply.

Kaggle calls are network round trips (a download may take minutes), so they never run on the
event loop; errors go through the one translator (a dropped connection to Kaggle is a 502).
"""

from __future__ import annotations

import tornado.web

from mlestar_lab.server.handlers import MlestarHandler
from mlestar_lab.server.kaggle import KaggleActions
from mlestar_lab.server.schemas import (
    KaggleDownloadRequest,
    KagglePullRequest,
    KagglePushRequest,
    KaggleSubmitRequest,
)


class KaggleHandler(MlestarHandler):
    @property
    def kaggle(self) -> KaggleActions:
        return KaggleActions(self.service)


class KaggleDownloadHandler(KaggleHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        request = self.body(KaggleDownloadRequest)
        self.reply(await self.blocking(self.kaggle.download, request), status=201)


class KagglePullHandler(KaggleHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        request = self.body(KagglePullRequest)
        self.reply(await self.blocking(self.kaggle.pull, request), status=201)


class KagglePushHandler(KaggleHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str) -> None:
        request = self.body(KagglePushRequest)
        self.reply(await self.blocking(self.kaggle.push, run_id, request), status=201)


class KaggleStatusHandler(KaggleHandler):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        self.reply(await self.blocking(self.kaggle.status, run_id))


class KaggleSubmitHandler(KaggleHandler):
    @tornado.web.authenticated
    async def post(self, run_id: str) -> None:
        request = self.body(KaggleSubmitRequest)
        self.reply(await self.blocking(self.kaggle.submit, run_id, request), status=201)
