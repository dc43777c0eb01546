//! Tests of where a loop's collection comes from, read in whole functions.
use super::super::{of_loops, LoopSize};
use crate::lang::Language;

/// The size `of_loops` gives the innermost loop of `src` (the last loop in source order).
fn sized(lang: Language, src: &str) -> (LoopSize, Option<String>) {
    let mut p = tree_sitter::Parser::new();
    let grammar = lang.grammar();
    p.set_language(&grammar).unwrap();
    let tree = p.parse(src, None).unwrap();
    let kinds: Vec<u16> = lang
        .function_kinds()
        .iter()
        .map(|k| grammar.id_for_node_kind(k, true))
        .collect();
    // the ancestors of the last loop, root first
    fn find<'t>(n: tree_sitter::Node<'t>, path: &mut Vec<tree_sitter::Node<'t>>) -> bool {
        let mut c = n.walk();
        let children: Vec<_> = n.children(&mut c).collect();
        for ch in children.into_iter().rev() {
            path.push(ch);
            if find(ch, path) {
                return true;
            }
            path.pop();
        }
        crate::size::is_loop(n.kind())
    }
    let mut path = vec![tree.root_node()];
    assert!(find(tree.root_node(), &mut path), "no loop in {src}");
    // `find` leaves the loop's first descendant path; cut back to the innermost loop
    let at = path
        .iter()
        .rposition(|n| crate::size::is_loop(n.kind()))
        .unwrap();
    let lp = path[at];
    of_loops(lp, &path[..=at], &kinds, src.as_bytes(), false)
}

fn py(src: &str) -> LoopSize {
    sized(Language::Python, src).0
}

fn js(src: &str) -> LoopSize {
    sized(Language::JavaScript, src).0
}

#[test]
fn a_handler_of_one_event_walks_what_it_was_handed() {
    for src in [
        "async def handle_typing(self, room_id, users):\n    for user in users:\n        await self.get_user(user)\n",
        "async def _handle_presence(self, users):\n    for user in users:\n        await self.push(user)\n",
        "def on_rdata(self, stream_name, token, rows):\n    for row in rows:\n        Row.objects.get(pk=row.id)\n",
        "async def _handle(self, event):\n    for commit in event['commits'].values():\n        await save(commit)\n",
    ] {
        assert_eq!(py(src), LoopSize::Unknown, "{src}");
    }
    assert_eq!(
        js("class A { async onMessage(msg, users) { for (const user of users) { await this.send(user); } } }"),
        LoopSize::Unknown
    );
    assert_eq!(
        js("const handleWebhook = async ({ users }) => { for (const user of users) { await save(user); } };"),
        LoopSize::Unknown
    );
}

#[test]
fn a_handler_that_fetches_its_own_collection_is_sized_by_its_names() {
    // the room's members come from a query, not from the event
    let src = "async def _handle_room_publicity_change(self, room_id):\n    users_in_room = await self.store.get_users_in_room(room_id)\n    for user_id in users_in_room:\n        await self.store.add(user_id)\n";
    assert_eq!(py(src), LoopSize::Data);
    // not a handler of one event: a hook of the process's life, or a plain function
    for src in [
        "async def on_startup(self, users):\n    for user in users:\n        await self.warm(user)\n",
        "async def sync_users(self, users):\n    for user in users:\n        await self.push(user)\n",
        "async def online(self, users):\n    for user in users:\n        await self.push(user)\n",
    ] {
        assert_eq!(py(src), LoopSize::Data, "{src}");
    }
    assert_eq!(
        js("class A { async onAfterStart(users) { for (const user of users) { await save(user); } } }"),
        LoopSize::Data
    );
}

#[test]
fn async_code_walks_what_an_unawaited_call_holds() {
    for src in [
        "async def remove(self):\n    for person in storage_collection.async_items():\n        await self.update(person)\n",
        "async def hook(self, message):\n    for tool_call in attribute_items(message, 'tool_calls'):\n        await check(tool_call)\n",
        "async def check(self, stream):\n    for msg_data in stream.iter_messages():\n        await self.edit(msg_data)\n",
        "async def send(self, data):\n    for image in enumerate(data.get('images', [])):\n        await self.upload(image)\n",
    ] {
        assert_eq!(py(src), LoopSize::Unknown, "{src}");
    }
    // a browser store's selector hands over a whole conversation: JavaScript keeps its size
    assert_eq!(
        js("const a = { python: async (id) => { for (const message of chatSelectors.mainDisplayChats(get())) { await fetch(message.url); } } };"),
        LoopSize::Data
    );
}

#[test]
fn awaited_calls_queries_and_sync_code_keep_their_size() {
    for src in [
        // awaited: it may have waited on the database
        "async def f(self):\n    for user in await self.store.get_users():\n        await self.push(user)\n",
        "async def f(self, session):\n    for user in (await session.execute(q)).scalars():\n        await self.push(user)\n",
        // a query chain, even unawaited
        "async def f(self):\n    for user in User.objects.filter(active=True):\n        await self.push(user)\n",
        "async def f(self, c):\n    for row in c.fetchall():\n        await self.push(row)\n",
        "async def f(self, result):\n    for row in result.mappings().all():\n        await session.execute(q, row)\n",
        // a name, not a call
        "async def f(self):\n    users = self.load()\n    for user in users:\n        await self.push(user)\n",
        // not async: a call may do the I/O itself
        "def f(self):\n    for user in get_users():\n        User.objects.get(pk=user.id)\n",
    ] {
        assert_eq!(py(src), LoopSize::Data, "{src}");
    }
    assert_eq!(
        js("async function f(db) { for (const user of await db.users.findMany()) { await save(user); } }"),
        LoopSize::Data
    );
}

#[test]
fn the_per_item_fallback_of_a_batched_call_is_not_sized() {
    for src in [
        "async def add(self, records):\n    try:\n        await asyncio.to_thread(self.db.batch_add_history, records)\n    except Exception:\n        for record in records:\n            await self.db.add_history(record)\n",
        "async def add_nodes(self, nodes):\n    try:\n        params = {'nodes': [n.id for n in nodes]}\n        await self.query(Q, params)\n    except Exception:\n        for node in nodes:\n            await self.add_node(node)\n",
        "def save(rows):\n    try:\n        Row.objects.bulk_create(rows)\n    except IntegrityError:\n        for row in rows:\n            row.save()\n",
        "def save(pages):\n    try:\n        Page.objects.bulk_create(parent_rows, batch_size=500)\n    except IntegrityError:\n        for page in pages:\n            page.save()\n",
    ] {
        assert_eq!(py(src), LoopSize::Unknown, "{src}");
    }
    assert_eq!(
        js("async function f(users) { try { await db.insertMany(users); } catch (e) { for (const user of users) { await db.insert(user); } } }"),
        LoopSize::Unknown
    );
}

#[test]
fn an_except_branch_that_dispatches_on_type_keeps_its_size() {
    // the try stored the value or converted it; the except walks a list of values
    for src in [
        "def _exposure(source, users):\n    try:\n        e = Exposure.objects.create(source=source)\n        e.value = users\n        e.save()\n    except TypeError:\n        for user in users:\n            Exposure.objects.create(value=user)\n",
        "def f(users):\n    try:\n        v = float(users)\n    except TypeError:\n        for user in users:\n            User.objects.create(value=user)\n",
        // the loop is in the try, not its except
        "async def f(self, users):\n    try:\n        await self.db.insert_many(users)\n        for user in users:\n            await self.notify(user)\n    except Exception:\n        pass\n",
    ] {
        assert_eq!(py(src), LoopSize::Data, "{src}");
    }
}

#[test]
fn a_handler_that_queries_rebinds_or_takes_a_bulk_is_sized_by_its_names() {
    for src in [
        // a query or a call on what it was handed fetches something else
        "def handle_orders(self, orders_qs):\n    for order in orders_qs.filter(paid=True):\n        Row.objects.create(order=order)\n",
        // the parameter rebound before the loop
        "def on_message(self, message, users=None):\n    users = users or User.objects.filter(active=True)\n    for user in users:\n        Row.objects.create(user=user)\n",
        // many at once by its name
        "def handle_bulk_upload(self, records):\n    for record in records:\n        Row.objects.create(record=record)\n",
        "def on_orders_synced(self, orders):\n    for order in orders:\n        Row.objects.create(order=order)\n",
        // a route handler's request
        "async def handle_form(request):\n    for user in request.users:\n        await save(user)\n",
    ] {
        assert_eq!(py(src), LoopSize::Data, "{src}");
    }
    for src in [
        "class A { async handleTenantRemoved(tenantId, repo) { for (const user of await repo.findUsersByTenant(tenantId)) { await db.users.update(user); } } }",
        "class A { async handleCsvRows(req, res) { for (const row of req.body.rows) { await db.users.update(row); } } }",
    ] {
        assert_eq!(js(src), LoopSize::Data, "{src}");
    }
}

#[test]
fn async_code_that_calls_out_unawaited_keeps_its_size() {
    for src in [
        // a synchronous session handed to the call
        "async def list_users(db):\n    for user in get_active_users(db):\n        db.execute(q, user)\n",
        // a blocking client
        "async def f(self):\n    for user in requests.get(URL).json():\n        await self.push(user)\n",
    ] {
        assert_eq!(py(src), LoopSize::Data, "{src}");
    }
}

#[test]
fn an_except_branch_after_no_batched_store_call_keeps_its_size() {
    for src in [
        // named for many, but not a batched write
        "def f(users, template):\n    try:\n        tpl = render_many_templates(template)\n    except TemplateError:\n        for user in users:\n            User.objects.filter(pk=user.pk).update(x=1)\n",
        // a conversion and a check are handed the collection, not a store
        "def f(users):\n    try:\n        payload = json.dumps(users)\n    except TypeError:\n        for user in users:\n            User.objects.filter(pk=user.pk).update(x=1)\n",
        "def f(orders):\n    try:\n        check_stock(orders)\n    except OutOfStock:\n        for order in orders:\n            Order.objects.filter(pk=order.pk).update(held=True)\n",
    ] {
        assert_eq!(py(src), LoopSize::Data, "{src}");
    }
}
