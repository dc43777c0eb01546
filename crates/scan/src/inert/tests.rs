//! Tests of the inert-await reading: bookkeeping, guards, transitive awaits and spawned tasks.
use crate::Language;

/// The lines of the await-in-loop findings of `text`.
fn reported(lang: Language, text: &str) -> Vec<u32> {
    let rules = crate::builtin_rules();
    let file = if lang == Language::Python {
        "svc.py"
    } else {
        "svc.js"
    };
    let (f, _) = crate::scan_text(&rules, lang, file, text);
    let mut lines: Vec<u32> = f
        .iter()
        .filter(|f| f.rule_id.ends_with("await-in-loop"))
        .flat_map(|f| {
            let mut l = vec![f.line];
            l.extend(f.statements.iter().map(|s| s.line));
            l
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

const PY_LOOP: &str = "\n    async def run(self, users):\n        for user in users:\n            await self.handle(user)\n";

fn py_class(handle: &str) -> String {
    format!("class Worker:\n{handle}{PY_LOOP}")
}

#[test]
fn python_bookkeeping_is_inert_and_anything_else_is_not() {
    let inert = "    async def handle(self, user):\n        self.seen.append(user.id)\n        log.debug(\"seen %s\", user.id)\n";
    assert!(reported(Language::Python, &py_class(inert)).is_empty());
    for body in [
        // a stub a subclass elsewhere fills in
        "    async def handle(self, user):\n        pass\n",
        "    async def handle(self, user):\n        \"\"\"Handle one user.\"\"\"\n        raise NotImplementedError\n",
        // calls out (a blocking commit), awaits, streams, comprehends asynchronously
        "    async def handle(self, user):\n        self.session.add(user)\n        self.session.commit()\n",
        "    async def handle(self, user):\n        await self.db.save(user)\n",
        "    async def handle(self, user):\n        async with self.lock:\n            self.n += 1\n",
        "    async def handle(self, user):\n        return [r async for r in self.db.stream(user)]\n",
        // a wrapper may do I/O
        "    @db_session\n    async def handle(self, user):\n        self.n += 1\n",
        // not async: what it returns is awaited
        "    def handle(self, user):\n        return self.db.save(user)\n",
    ] {
        assert_eq!(reported(Language::Python, &py_class(body)), vec![5 + body.lines().count() as u32], "{body}");
    }
    // a lock of the process is waited for, not I/O; a lock bound to anything else may be
    // (and a method of a container the file builds is in memory whatever its name)
    let locked = "    async def handle(self, user):\n        async with self.lock:\n            if self.items.get(user.id) is not None:\n                self.items.update({user.id: user})\n";
    let with_lock = format!("import asyncio\n\n\nclass Worker:\n    def __init__(self):\n        self.lock = asyncio.Lock()\n        self.items: dict[int, object] = {{}}\n\n{locked}{PY_LOOP}");
    assert!(
        reported(Language::Python, &with_lock).is_empty(),
        "{with_lock}"
    );
    let shared = with_lock.replace(
        "self.lock = asyncio.Lock()",
        "self.lock = redis.lock(\"users\")",
    );
    assert_eq!(reported(Language::Python, &shared).len(), 1, "{shared}");
    let cache = with_lock.replace(
        "self.items: dict[int, object] = {}",
        "self.items = cache_client()",
    );
    assert_eq!(reported(Language::Python, &cache).len(), 1, "{cache}");
    // overridden in another class of the file: which one runs is not known
    let two = format!(
        "{}\nclass Other(Worker):\n    async def handle(self, user):\n        await self.db.save(user)\n",
        py_class(inert)
    );
    assert_eq!(reported(Language::Python, &two).len(), 1);
}

#[test]
fn a_bare_name_is_a_top_level_function_and_one_await_does_not_hide_another() {
    // a method of the same name is not the imported function
    let text = "from app.storage import save_order\n\nclass Draft:\n    async def save_order(self):\n        self.saved = True\n\nasync def publish(orders):\n    for order in orders:\n        await save_order(order)\n";
    assert_eq!(reported(Language::Python, text), vec![9]);
    let top = "async def mark(order):\n    order.marked = True\n\nasync def publish(orders):\n    for order in orders:\n        await mark(order)\n";
    assert!(reported(Language::Python, top).is_empty());
    let nested = "class Worker:\n    async def remember(self, x):\n        self.items.append(x)\n\n    async def run(self, orders):\n        for order in orders:\n            await self.remember(await self.fetch_order(order))\n";
    assert_eq!(reported(Language::Python, nested), vec![7]);
}

#[test]
fn io_a_passed_argument_skips_is_not_io_for_that_call() {
    let to_model = "class Notes:\n    async def _to_model(self, note, grants=None, db=None):\n        m = NoteModel.model_validate(note)\n        m.grants = grants if grants is not None else await self._grants(m.id, db=db)\n        return m\n\n";
    let listing = |call: &str| {
        format!("{to_model}    async def listing(self, notes, grants_map):\n        out = []\n        for note in notes:\n            out.append(await self.{call})\n        return out\n")
    };
    // the grants are passed, by keyword or position: the await does no I/O
    for call in [
        "_to_model(note, grants=grants_map.get(note.id, []))",
        "_to_model(note, grants_map[note.id])",
    ] {
        assert!(
            reported(Language::Python, &listing(call)).is_empty(),
            "{call}"
        );
    }
    // not passed, passed as None or as a lookup that may miss, or passed through
    // `**kwargs` or after `*args`: a query per note
    for call in [
        "_to_model(note, db=db)",
        "_to_model(note, grants=None)",
        "_to_model(note, grants=grants_map.get(note.id))",
        "_to_model(note, **extra)",
        "_to_model(*extra, grants_map[note.id])",
    ] {
        assert_eq!(
            reported(Language::Python, &listing(call)),
            vec![10],
            "{call}"
        );
    }
    // the statement form: `if grants is None: grants = await …`
    let stmt = "async def to_model(note, grants=None):\n    if grants is None:\n        grants = await load_grants(note.id)\n    return dict(note=note, grants=grants)\n\nasync def listing(notes, grants_map):\n    for note in notes:\n        await to_model(note, grants_map[note.id])\n";
    assert!(reported(Language::Python, stmt).is_empty());
    // an `else` branch, a guard that is not a parameter, or a guard rebound before it is
    // tested, still does I/O
    for body in [
        "    grants = grants or None\n    return grants if grants is not None else await load_grants(note.id)\n",
        "    if grants is None:\n        grants = []\n    else:\n        grants = await load_grants(note.id)\n",
        "    if CACHE is None:\n        grants = await load_grants(note.id)\n",
    ] {
        let text = format!("async def to_model(note, grants=None):\n{body}    return grants\n\nasync def listing(notes, grants_map):\n    for note in notes:\n        await to_model(note, grants_map[note.id])\n");
        assert_eq!(reported(Language::Python, &text).len(), 1, "{body}");
    }
}

#[test]
fn javascript_bookkeeping_is_inert_and_promises_are_not() {
    let class = |method: &str| {
        format!("class Registry {{\n{method}\n  async resolveAll(users) {{\n    for (const user of users) {{\n      await this.getProvider(user.provider);\n    }}\n  }}\n}}\n")
    };
    assert!(reported(Language::JavaScript, &class("  async getProvider(name) {\n    this.hits.push(name);\n    return this.providers[name];\n  }")).is_empty());
    for method in [
        "  async getProvider(name) {\n    const p = this.db.findOne({ where: { name } });\n    return p;\n  }",
        "  async getProvider(name) {\n    throw new Error('override me');\n  }",
        "  async getProvider(name) {\n    const out = [];\n    for await (const l of this.open(name)) out.push(l);\n    return out;\n  }",
        "  getProvider(name) {\n    return new Promise((r) => setTimeout(r, 10));\n  }",
    ] {
        assert_eq!(reported(Language::JavaScript, &class(method)).len(), 1, "{method}");
    }
}

#[test]
fn inert_callees_are_followed_and_recursion_is_io() {
    // `forward` awaits `count`, which only counts: inert through two levels
    let chain = "class Relay:\n    async def count(self, m):\n        self.n += 1\n\n    async def forward(self, m):\n        await self.count(m)\n        self.seen.append(m)\n\n    async def run(self, messages):\n        for m in messages:\n            await self.forward(m)\n";
    assert!(reported(Language::Python, chain).is_empty());
    // the awaited method's arguments still run here: a call in them is I/O
    let args = chain.replace(
        "await self.count(m)",
        "await self.count(await self.db.get(m))",
    );
    assert_eq!(reported(Language::Python, &args), vec![11]);
    // functions that await each other may never end: taken to do I/O
    let cycle = "async def ping(m, n):\n    if n:\n        await pong(m, n - 1)\n\nasync def pong(m, n):\n    await ping(m, n)\n\nasync def run(messages):\n    for m in messages:\n        await ping(m, 3)\n";
    assert_eq!(reported(Language::Python, cycle), vec![10]);
}

#[test]
fn started_tasks_are_not_waited_for() {
    let py = |body: &str| {
        format!("async def dispatch(row, callbacks):\n{body}\nasync def log_all(rows, callbacks):\n    for row in rows:\n        await dispatch(row, callbacks)\n")
    };
    assert!(reported(Language::Python, &py("    for cb in callbacks:\n        asyncio.create_task(cb.log(row, kind=str(row.id)))\n")).is_empty());
    // what is built for the task runs here
    assert_eq!(
        reported(
            Language::Python,
            &py("    asyncio.create_task(send(await render(row)))\n")
        )
        .len(),
        1
    );
    assert_eq!(
        reported(
            Language::Python,
            &py("    asyncio.create_task(send(load(row)))\n")
        )
        .len(),
        1
    );
    let js = |body: &str| {
        format!("async function sendEmail(to) {{\n{body}\n}}\n\nasync function notify(subscribers) {{\n  for (const s of subscribers) {{\n    await sendEmail(s.email);\n  }}\n}}\n")
    };
    for body in [
        "  mailer.sendMail({ to }).catch((e) => log.error(e));",
        "  void mailer.sendMail({ to });",
    ] {
        assert!(
            reported(Language::JavaScript, &js(body)).is_empty(),
            "{body}"
        );
    }
    for body in [
        // waited for, returned to the caller, or built by a call that runs here
        "  await mailer.sendMail({ to }).catch((e) => log.error(e));",
        "  return mailer.sendMail({ to }).catch((e) => log.error(e));",
        "  mailer.sendMail(render(to)).catch((e) => log.error(e));",
    ] {
        assert_eq!(reported(Language::JavaScript, &js(body)).len(), 1, "{body}");
    }
}

#[test]
fn a_guard_passed_on_from_a_parameter_is_the_callers_to_pass() {
    let text = |call: &str| {
        format!("class Notes:\n    async def _to_model(self, note, grants=None):\n        return grants if grants is not None else await self._load(note.id)\n\n    async def to_model(self, note, grants=None):\n        return await self._to_model(note, grants=grants)\n\n    async def listing(self, notes, grants_map):\n        for note in notes:\n            await self.{call}\n")
    };
    // one load per note: the outer function passes on what it was given, which is nothing
    assert_eq!(
        reported(Language::Python, &text("to_model(note)")),
        vec![10]
    );
    assert_eq!(
        reported(Language::Python, &text("to_model(note, None)")),
        vec![10]
    );
    assert!(reported(
        Language::Python,
        &text("to_model(note, grants_map[note.id])")
    )
    .is_empty());
    assert!(reported(
        Language::Python,
        &text("to_model(note, grants=grants_map[note.id])")
    )
    .is_empty());
}

#[test]
fn the_depth_limit_gives_one_verdict_whatever_the_order() {
    // f0 awaits f1 … awaits f8, which only keeps books: f0 stands on eight levels, over the
    // limit; f3 on five, within it
    let mut chain = String::new();
    for i in 0..8 {
        chain += &format!("async def f{i}(x):\n    await f{}(x)\n\n", i + 1);
    }
    chain += "async def f8(x):\n    x.seen = True\n\n";
    let lines = chain.lines().count() as u32;
    let loop_over = |f: &str| {
        format!("async def run_{f}(items):\n    for x in items:\n        await {f}(x)\n\n")
    };
    let deep_first = format!("{chain}{}{}", loop_over("f0"), loop_over("f3"));
    assert_eq!(reported(Language::Python, &deep_first), vec![lines + 3]);
    let shallow_first = format!("{chain}{}{}", loop_over("f3"), loop_over("f0"));
    assert_eq!(reported(Language::Python, &shallow_first), vec![lines + 7]);
}

#[test]
fn what_a_started_task_is_given_and_called_on_runs_here() {
    let py = |body: &str| {
        format!("class Q:\n    async def dispatch(self, row):\n{body}\n    async def run(self, rows):\n        for row in rows:\n            await self.dispatch(row)\n")
    };
    for body in [
        "        asyncio.ensure_future(self.send(row))\n",
        "        self._loop.create_task(self.send(row), name=str(row.id))\n",
        "        asyncio.get_running_loop().create_task(self.send(row))\n",
    ] {
        assert!(reported(Language::Python, &py(body)).is_empty(), "{body}");
    }
    for body in [
        // the client is fetched here, the handler looked up here
        "        asyncio.create_task((await self.get_client(row.tenant)).send(row))\n",
        "        asyncio.create_task(self.get_handler(row)(row))\n",
        // a name allocated by a call that runs here
        "        asyncio.create_task(self.send(row), name=self.registry.allocate(row))\n",
        // a cloud task queue's client: a remote call
        "        self.tasks_client.create_task(parent=self.queue, task={'name': row.name})\n",
    ] {
        assert_eq!(reported(Language::Python, &py(body)).len(), 1, "{body}");
    }
    let js = |body: &str| {
        format!("async function sendEmail(to) {{\n{body}\n}}\n\nasync function notify(subscribers) {{\n  for (const s of subscribers) {{\n    await sendEmail(s.email);\n  }}\n}}\n")
    };
    for body in [
        "  mailer.sendMail({ to }).then(log).catch(report);",
        "  mailer.sendMail({ to }).finally(done);",
    ] {
        assert!(
            reported(Language::JavaScript, &js(body)).is_empty(),
            "{body}"
        );
    }
    for body in [
        "  mailer.sendMail(await render(to)).then(log).catch(report);",
        "  mailer.sendMail(render(to)).then(log).catch(report);",
        "  (await getMailer(to)).sendMail({ to }).catch(report);",
        "  void (await getMailer(to)).sendMail({ to });",
        // a promise made elsewhere: what `pending` is, is not known here
        "  pending.catch(report);",
    ] {
        assert_eq!(reported(Language::JavaScript, &js(body)).len(), 1, "{body}");
    }
}

#[test]
fn javascript_inert_callees_are_followed_too() {
    let class = |count: &str| {
        // the rule reports awaits named for I/O (`notify`)
        format!("class Relay {{\n  async count(m) {{\n{count}\n  }}\n  async notify(m) {{\n    await this.count(m);\n    this.seen.push(m);\n  }}\n  async run(messages) {{\n    for (const m of messages) {{\n      await this.notify(m);\n    }}\n  }}\n}}\n")
    };
    assert!(reported(Language::JavaScript, &class("    this.n += 1;")).is_empty());
    assert_eq!(
        reported(
            Language::JavaScript,
            &class("    await this.mailer.deliver(m);")
        )
        .len(),
        1
    );
}
