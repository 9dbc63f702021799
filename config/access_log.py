"""gunicorn's access log, without the secrets that travel in link paths.

Every management link carries its signed token in the path (/preferences/<token>/,
/unsubscribe/<token>/, ...): whoever reads the access log could otherwise use them.
deploy/gunicorn.conf.py sets `logger_class` to RedactingLogger.
"""

import re

from gunicorn.glogging import Logger

# The first path segment of each token route (subscriptions/urls.py, digest/urls.py);
# the segment after it is the token.
_TOKEN_PATH = re.compile(r"(/(?:confirm|preferences|unsubscribe|feedback|digest|archive|feed)/)[^/\s?]+")


def redact(text: str) -> str:
    return _TOKEN_PATH.sub(r"\1<token>", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):  # request line, path, referer
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
