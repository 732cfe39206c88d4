// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root-free tests of container identity: every case of the cgroup corpus
 * (tests/unit/data/cgroup/corpus.txt), the names read from a node's state laid out under
 * tests/unit/data/noderoot, the --container/--pod selectors, and how outputs write an identity.
 *
 * usage: test_container DATA_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "container/identity.h"
#include "container/select.h"
#include "format/ident.h"
#include "format/json.h"
#include "format/prom.h"
#include "util/log.h"

static char root[4096];

static bool task_in_root(void *ctx, const char *ns, const char *name)
{
	return identity_ctr_task_exists(root, ns, name);
}

/* One corpus case: "expect: none" or "expect: id=… runtime=… [pod_uid=…] [ctr_ns=…]". */
static void check_case(const char *title, const char *expect, const char *text)
{
	struct identity id;
	bool found = identity_from_cgroup(text, &id, task_in_root, NULL);
	char want[5][160] = { "", "unknown", "", "", "" }, name[64];
	const char *keys[5] = { "id=", "runtime=", "pod_uid=", "ctr_ns=", NULL };
	char buf[512], *tok, *save;
	const char *rt;
	int k;

	if (!strcmp(expect, "none")) {
		CHECK_REPORT(!found, title, "found container '%s', want none", id.id);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", expect);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		for (k = 0; keys[k]; k++)
			if (!strncmp(tok, keys[k], strlen(keys[k])))
				snprintf(want[k], sizeof(want[k]), "%s", tok + strlen(keys[k]));
	CHECK_REPORT(found, title, "%s", "no container found");
	rt = identity_runtime_name(id.runtime);
	snprintf(name, sizeof(name), "%s: id", title);
	ASSERT_STREQ(id.id, want[0], name);
	snprintf(name, sizeof(name), "%s: runtime", title);
	ASSERT_STREQ(rt ? rt : "unknown", want[1], name);
	snprintf(name, sizeof(name), "%s: pod uid", title);
	ASSERT_STREQ(id.pod_uid, want[2], name);
	snprintf(name, sizeof(name), "%s: containerd namespace", title);
	ASSERT_STREQ(id.ctr_ns, want[3], name);
}

/* Walk the corpus: "[title]", "expect: …", cgroup lines, a blank line. */
static void test_corpus(const char *dir)
{
	char path[4200], line[1024], title[256] = "", expect[512] = "", text[8192] = "";
	int cases = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup/corpus.txt", dir);
	f = fopen(path, "re");
	CHECK_REPORT(f != NULL, "cgroup corpus", "cannot open %s", path);
	if (!f)
		return;
	for (;;) {
		char *l = fgets(line, sizeof(line), f);

		if (!l || line[0] == '\n') {
			if (title[0]) {
				check_case(title, expect, text);
				cases++;
			}
			title[0] = expect[0] = text[0] = '\0';
			if (!l)
				break;
			continue;
		}
		if (line[0] == '#')
			continue;
		if (line[0] == '[') {
			snprintf(title, sizeof(title), "%.*s", (int)strcspn(line + 1, "]"), line + 1);
		} else if (!strncmp(line, "expect: ", 8)) {
			snprintf(expect, sizeof(expect), "%.*s", (int)strcspn(line + 8, "\n"), line + 8);
		} else if (strlen(text) + strlen(line) < sizeof(text)) {
			strcat(text, line);
		}
	}
	fclose(f);
	ASSERT_TRUE(cases >= 20, "every corpus case ran");
}

/* The cgroup line, then the names from the node's state under root. */
static struct identity resolved(const char *cgroup)
{
	struct identity id;

	memset(&id, 0, sizeof(id));
	if (identity_from_cgroup(cgroup, &id, task_in_root, NULL))
		identity_read_state(root, &id);
	return id;
}

static void expect_names(const char *what, const struct identity *id, const char *runtime,
			 const char *name, const char *ns, const char *pod, const char *uid)
{
	const char *rt = identity_runtime_name(id->runtime);
	char n[128];

	snprintf(n, sizeof(n), "%s: runtime", what);
	ASSERT_STREQ(rt ? rt : "unknown", runtime, n);
	snprintf(n, sizeof(n), "%s: name", what);
	ASSERT_STREQ(id->name, name, n);
	snprintf(n, sizeof(n), "%s: namespace", what);
	ASSERT_STREQ(id->namespace, ns, n);
	snprintf(n, sizeof(n), "%s: pod", what);
	ASSERT_STREQ(id->pod, pod, n);
	snprintf(n, sizeof(n), "%s: pod uid", what);
	ASSERT_STREQ(id->pod_uid, uid, n);
}

static void test_state(void)
{
	struct identity id;

	id = resolved("0::/kubepods/burstable/pod0f3c8e2a-5b1d-4c7e-9a2f-6d8b1e4c3a70/"
		      "f5dce3375b74317a6cfcbb23d5bda2648e5119cb3f9a2511ca40f727521ab829\n");
	expect_names("containerd CRI, runtime from its state", &id, "containerd", "server", "shop",
		     "web-0", "0f3c8e2a-5b1d-4c7e-9a2f-6d8b1e4c3a70");
	id = resolved("0::/kubepods.slice/kubepods-pod7d9e2b41_33c0_4f1a_b6a8_0e5c2f9d1b47.slice/"
		      "crio-a702bb6705b95adb9d8376e24e32b231193c7bd4547ca174d1fb5f798cf809bf.scope\n");
	expect_names("CRI-O", &id, "cri-o", "api", "payments", "api-7d4b9c-xk2lp",
		     "7d9e2b41-33c0-4f1a-b6a8-0e5c2f9d1b47");
	id = resolved("0::/libpod_parent/"
		      "libpod-b4fb1b551ebcd42971dd13afd2bebc04ef18ec8e4b1d06951de2b2d8a37e297b\n");
	expect_names("Podman, name from containers.json", &id, "podman", "leadprobe", "", "", "");
	id = resolved("0::/kubepods/burstable/pod0f3c8e2a-5b1d-4c7e-9a2f-6d8b1e4c3a70/"
		      "65a4de62370f748746aeecc2aee36fe5367bd004bf15b52b3a9a25a408e4070c\n");
	expect_names("Podman with Kubernetes annotations: the pod spec's name wins", &id, "podman",
		     "checkout", "shop", "checkout-5f6d", "0f3c8e2a-5b1d-4c7e-9a2f-6d8b1e4c3a70");
	id = resolved("4:memory:/docker/"
		      "4b5b82d69e1895a88bd1c6d0e4ba2a64e31af0887f343846dfdfdb21d15cfcdc\n");
	expect_names("Docker", &id, "docker", "web", "", "", "");
	id = resolved("0::/system.slice/"
		      "docker-61f5b99647fd74f987d0f46941a7fa7f91afe9846333b35ccfc621c54f5da024.scope\n");
	expect_names("Docker under cri-dockerd: labels", &id, "docker", "server", "shop", "web-1",
		     "3e8a1f60-2b7c-4d95-8e14-a6c0b9d2f731");
	id = resolved("0::/default/web\n");
	expect_names("plain containerd: named by its ID", &id, "containerd", "web", "", "", "");
	id = resolved("0::/kubepods/podc1d2e3f4-a5b6-4789-8abc-def012345678/"
		      "8183f6e5d2d0e15191482209ac441f367b78ce5a77b661ea588103f9ba546f32\n");
	expect_names("no state: the cgroup's part only", &id, "unknown", "", "", "",
		     "c1d2e3f4-a5b6-4789-8abc-def012345678");
	id = resolved("0::/kubepods.slice/cri-containerd-"
		      "2a3b89de3baa083127565cd7117601746e66a4189b3a5553120fdad18693886e.scope\n");
	expect_names("a malformed pod UID annotation is left out", &id, "containerd", "sidecar",
		     "jobs", "batch-7", "");
	ASSERT_TRUE(!identity_ctr_task_exists(root, "..", "web"), "no task outside the tasks dir");
}

static struct identity make_id(const char *hex, const char *name, const char *ns, const char *pod)
{
	struct identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.id, sizeof(id.id), "%s", hex);
	snprintf(id.name, sizeof(id.name), "%s", name);
	snprintf(id.namespace, sizeof(id.namespace), "%s", ns);
	snprintf(id.pod, sizeof(id.pod), "%s", pod);
	return id;
}

static void test_select(void)
{
	struct identity a = make_id("3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
				    "web", "shop", "web-0");
	struct identity b = make_id("3f9b000000000000000000000000000000000000000000000000000000000000",
				    "3f2a", "", "");
	struct selection s = { 0 };
	struct gs_err err = { 0 };

	ASSERT_EQ(selection_add(&s, SEL_CONTAINER, "", &err), -1, "empty --container refused");
	ASSERT_EQ(err.code, GS_EXIT_USAGE, "empty --container: usage error");
	ASSERT_EQ(selection_add(&s, SEL_POD, "shop/", &err), -1, "--pod NS/ refused");
	ASSERT_EQ(selection_add(&s, SEL_POD, "a/b/c", &err), -1, "--pod a/b/c refused");
	ASSERT_EQ(selection_add(&s, SEL_CONTAINER, "web", &err), 0, "--container web");
	ASSERT_EQ(selection_add(&s, SEL_CONTAINER, "3f2a", &err), 0, "--container 3f2a");
	ASSERT_EQ(selection_add(&s, SEL_POD, "shop/web-0", &err), 0, "--pod shop/web-0");
	ASSERT_EQ(selection_add(&s, SEL_POD, "web-0", &err), 0, "--pod web-0");
	ASSERT_EQ(selection_add(&s, SEL_POD, "other/web-0", &err), 0, "--pod other/web-0");
	ASSERT_EQ(s.n, 5, "five selectors kept");
	ASSERT_EQ(selector_match(&s.v[0], &a), 2, "name matches exactly");
	ASSERT_EQ(selector_match(&s.v[0], &b), 0, "another name does not match");
	ASSERT_EQ(selector_match(&s.v[1], &a), 1, "ID prefix matches weakly");
	ASSERT_EQ(selector_match(&s.v[1], &b), 2, "a name equal to the prefix matches exactly");
	ASSERT_EQ(selector_match(&s.v[2], &a), 2, "pod with namespace");
	ASSERT_EQ(selector_match(&s.v[3], &a), 2, "pod without namespace");
	ASSERT_EQ(selector_match(&s.v[4], &a), 0, "pod in another namespace");
	ASSERT_EQ(selector_match(&s.v[2], &b), 0, "a container in no pod");
	ASSERT_EQ(selector_match(&s.v[0], NULL), 0, "a host process matches nothing");
	/* Resolved as exact, the prefix selector no longer takes containers by their ID. */
	s.n = 2;
	s.v[0].exact = true;
	s.v[1].exact = true;
	ASSERT_TRUE(selection_match(&s, &a), "web still matches by name");
	s.v[0].exact = false;
	strcpy(s.v[0].name, "nothing");
	ASSERT_TRUE(!selection_match(&s, &a), "exact prefix selector skips an ID prefix match");
	s.v[1].exact = false;
	ASSERT_TRUE(selection_match(&s, &a), "a prefix selector takes the ID prefix match");
	selection_free(&s);
	ASSERT_EQ(s.n, 0, "selection freed");
}

static void test_outputs(void)
{
	struct identity a = make_id("3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
				    "web", "shop", "web-0");
	struct identity b = make_id("9d0cc8f2a818d78b530a2982fd9aa5c78a46bca4afd7dc255d2fecc1a6fb0e47",
				    "", "", "");
	struct json j = { 0 };
	struct prom l = { 0 };
	char buf[1024];

	a.runtime = CTR_CONTAINERD;
	snprintf(a.pod_uid, sizeof(a.pod_uid), "0f3c8e2a-5b1d-4c7e-9a2f-6d8b1e4c3a70");
	json_begin(&j);
	ident_json(&j, &a);
	json_end(&j);
	ASSERT_STREQ(j.b.data, "{\"container\":{\"id\":\"3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c"
		     "3d4e5f60718293a4b5c6d7e8\",\"runtime\":\"containerd\",\"name\":\"web\",\"pod\":"
		     "\"web-0\",\"namespace\":\"shop\",\"pod_uid\":\"0f3c8e2a-5b1d-4c7e-9a2f-"
		     "6d8b1e4c3a70\"}}\n", "container object, everything known");
	json_begin(&j);
	ident_json(&j, &b);
	json_end(&j);
	ASSERT_STREQ(j.b.data, "{\"container\":{\"id\":\"9d0cc8f2a818d78b530a2982fd9aa5c78a46bca4"
		     "afd7dc255d2fecc1a6fb0e47\"}}\n", "unknown members left out");
	json_begin(&j);
	ident_json(&j, NULL);
	json_end(&j);
	ASSERT_STREQ(j.b.data, "{}\n", "no container object for a host process");
	json_free(&j);

	ident_prom_labels(&l, &b);
	buf[0] = '\0';
	if (l.b.data)
		snprintf(buf, sizeof(buf), "%.*s", (int)l.b.len, l.b.data);
	ASSERT_STREQ(buf, "container_id=\"9d0cc8f2a818d78b530a2982fd9aa5c78a46bca4afd7dc255d2fecc1a6"
		     "fb0e47\"", "labels: only the ID when nothing else is known");
	prom_free(&l);

	ASSERT_STREQ(ident_column(&a, buf, sizeof(buf)), "shop/web-0/web", "column with a pod");
	ASSERT_STREQ(ident_column(&b, buf, sizeof(buf)), "9d0cc8f2a818", "column: short ID");
	ASSERT_STREQ(ident_column(NULL, buf, sizeof(buf)), "-", "column: no container");
	ASSERT_STREQ(ident_line(&a, 4242, 1, buf, sizeof(buf)), "container web (containerd, "
		     "3f2a9c1b0d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8), pod "
		     "shop/web-0 (uid 0f3c8e2a-5b1d-4c7e-9a2f-6d8b1e4c3a70), PID 1 in its namespace",
		     "header line");
	ASSERT_STREQ(ident_line(NULL, 4242, 4242, buf, sizeof(buf)), "", "host process: no line");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/unit/data";

	snprintf(root, sizeof(root), "%s/noderoot", dir);
	test_corpus(dir);
	test_state();
	test_select();
	test_outputs();
	return check_summary();
}
