/*
 * pmd-echo-server: a WebSocket echo server on libwebsockets with lws's own
 * permessage-deflate, a peer for golws's client in the interoperability
 * tests (Debian's libwebsockets-test-server answers no extension offer).
 *
 * Usage: pmd-echo-server PORT
 *
 * It listens on 127.0.0.1:PORT, accepts the protocol "pmd-echo" and the
 * extension permessage-deflate, and sends every message back with its
 * type, in 4 KiB fragments. Messages may be up to 4 MiB. On each close it
 * prints one line: "closed MESSAGES" (the messages it echoed). It stops
 * on SIGTERM or SIGINT.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGE (4 << 20)
#define FRAGMENT 4096

struct session {
	unsigned char *buf; /* LWS_PRE bytes, then the message */
	size_t len;         /* bytes of the message held */
	size_t sent;        /* bytes of it echoed so far */
	int binary;
	int complete;       /* the whole message is in buf */
	int echoed;
};

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason,
			 void *user, void *in, size_t len)
{
	struct session *s = user;
	size_t n;
	int flags;

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(s, 0, sizeof(*s));
		s->buf = malloc(LWS_PRE + MAX_MESSAGE);
		if (!s->buf)
			return -1;
		break;
	case LWS_CALLBACK_RECEIVE:
		if (s->complete)
			return -1; /* one message at a time */
		if (s->len + len > MAX_MESSAGE)
			return -1;
		memcpy(s->buf + LWS_PRE + s->len, in, len);
		s->len += len;
		if (lws_is_final_fragment(wsi)) {
			s->binary = lws_frame_is_binary(wsi);
			s->complete = 1;
			s->sent = 0;
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!s->complete)
			break;
		n = s->len - s->sent;
		if (n > FRAGMENT)
			n = FRAGMENT;
		flags = lws_write_ws_flags(s->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
					   s->sent == 0, s->sent + n == s->len);
		/*
		 * lws_write puts the frame header in the LWS_PRE bytes before
		 * what it sends: the padding, or bytes already sent.
		 */
		if (lws_write(wsi, s->buf + LWS_PRE + s->sent, n, flags) < (int)n)
			return -1;
		s->sent += n;
		if (s->sent == s->len) {
			s->complete = 0;
			s->len = 0;
			s->sent = 0;
			s->echoed++;
		} else {
			lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_CLOSED:
		printf("closed %d\n", s->echoed);
		fflush(stdout);
		free(s->buf);
		s->buf = NULL;
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "pmd-echo", callback_echo, sizeof(struct session), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_extension extensions[] = {
	{ "permessage-deflate", lws_extension_callback_pm_deflate,
	  "permessage-deflate; client_no_context_takeover; client_max_window_bits" },
	{ NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *context;

	if (argc != 2) {
		fprintf(stderr, "usage: pmd-echo-server PORT\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

	memset(&info, 0, sizeof(info));
	info.port = atoi(argv[1]);
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.extensions = extensions;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	context = lws_create_context(&info);
	if (!context) {
		fprintf(stderr, "pmd-echo-server: lws_create_context failed\n");
		return 1;
	}
	while (!stop && lws_service(context, 0) >= 0)
		;
	lws_context_destroy(context);
	return 0;
}
