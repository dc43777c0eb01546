//! Message consumers: a file that registers a handler with a message queue or stream (Kafka,
//! AMQP, SQS, BullMQ) and declares no HTTP route runs its functions per message, in background
//! work, whatever its path says (`src/handlers/transfers/handler.js` of a Kafka service).
//! Read from the file's text, as the path rules of [`crate::runs`] are.

use crate::lang::Language;
use crate::runs::re;
use regex::Regex;
use std::sync::OnceLock;

/// The registration that makes `text` a message consumer's file (`Consumer.createHandler`,
/// `eachMessage`, `channel.consume`), when it has one and no HTTP route.
pub(crate) fn registration(lang: Language, text: &str) -> Option<String> {
    static JS: OnceLock<Regex> = OnceLock::new();
    static JS_HTTP: OnceLock<Regex> = OnceLock::new();
    static BULLMQ: OnceLock<Regex> = OnceLock::new();
    static PY: OnceLock<Regex> = OnceLock::new();
    static PY_HTTP: OnceLock<Regex> = OnceLock::new();
    let js = matches!(
        lang,
        Language::JavaScript | Language::TypeScript | Language::Tsx
    );
    // the words every registration holds, before any regex runs over the file
    let words: &[&str] = match lang {
        Language::Python => &["onsume", ".subscriber", ".agent"],
        _ if js => &["onsume", "bullmq", "eachMessage", "eachBatch"],
        _ => return None,
    };
    let has = |w: &str| memchr::memmem::find(text.as_bytes(), w.as_bytes()).is_some();
    if !words.iter().any(|w| has(w)) {
        return None;
    }
    let (m, http) = if js {
        let reg = re(
            &JS,
            // kafkajs (`consumer.run({ eachMessage })`), a consumer wrapper's
            // `Consumer.createHandler(topic, config, handler)`, amqplib, sqs-consumer
            r"\b(?:[\w$]*[Cc]onsumer\s*\.\s*(?:createHandler|run)|[\w$]*[Cc]hannel\s*\.\s*consume|Consumer\s*\.\s*create)\s*\(|\b(?:eachMessage|eachBatch)\s*:",
        );
        // a BullMQ worker (`new Worker(queue, processor)`), not a thread's or a browser's
        let m = reg.find(text).or_else(|| {
            has("bullmq")
                .then(|| re(&BULLMQ, r"\bnew\s+Worker\s*\(").find(text))
                .flatten()
        });
        let http = re(
            &JS_HTTP,
            // a route registered on an app or router (`usersRouter.post(`, hapi's
            // `server.route(`), a handler's signature, NestJS and Next.js route handlers
            r"\b[\w$]*(?:[Rr]outer|[Rr]outes|app|App|api|server|fastify)\s*\.\s*(?:get|post|put|patch|delete|all|use|route)\s*\(|\(\s*req\s*,\s*res\b|\(\s*request\s*,\s*(?:reply|h)\b|@(?:Get|Post|Put|Patch|Delete|All)\s*\(|\bexport\s+(?:async\s+)?function\s+(?:GET|POST|PUT|PATCH|DELETE)\b",
        );
        (m?, http)
    } else {
        let reg = re(
            &PY,
            // pika, kafka-python / aiokafka, FastStream and Faust subscribers
            // (ASCII classes and word boundaries throughout: Unicode ones send files with
            // non-ASCII text to the slow engine)
            r"\.basic_consume[ \t]*\(|(?-u:\b)(?:AIO)?KafkaConsumer[ \t]*\(|(?m)^[ \t]*@[A-Za-z0-9_.]*\.(?:subscriber|agent)[ \t]*\(",
        );
        let http = re(
            &PY_HTTP,
            r"def[ \t]+[A-Za-z0-9_]+\((?:self,[ \t\n]*)?request(?-u:\b)|@[A-Za-z0-9_.]*(?-u:\b)(?:route|api_view|get|post|put|patch|delete)[ \t]*\(",
        );
        (reg.find(text)?, http)
    };
    if http.is_match(text) {
        return None;
    }
    let what: String = m
        .as_str()
        .trim_start_matches(['.', '@', ' ', '\t', '\n'])
        .trim_end_matches(['(', ':', ' ', '\t', '\n'])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(format!("registers a message consumer (`{what}`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_registrations_are_told_from_http_handlers() {
        let js = Language::JavaScript;
        let c = |t: &str| registration(js, t);
        assert_eq!(
            c("await Consumer.createHandler(h.topicName, h.config, h.command)\n").unwrap(),
            "registers a message consumer (`Consumer.createHandler`)"
        );
        assert!(c("await consumer.run({ eachMessage: async ({ message }) => {} })").is_some());
        assert!(c("channel.consume(queue, onMessage, { noAck: false })").is_some());
        assert!(
            c("import { Worker } from 'bullmq'\nnew Worker('emails', async (j) => send(j))")
                .is_some()
        );
        assert!(c("Consumer.create({ queueUrl, handleMessage: async (m) => {} })").is_some());
        // a thread or a browser worker, a field named like a handler: not consumers
        assert!(c("const { Worker } = require('worker_threads')\nnew Worker(file)").is_none());
        assert!(c("interface Socket { handleMessage: (m: string) => void }").is_none());
        // a file that also serves HTTP is a request handler's
        assert!(c("router.post('/x', h)\nconsumer.run({ eachMessage })").is_none());
        assert!(
            c("server.route({ method: 'POST', path: '/t', handler })\nconsumer.run({})").is_none()
        );
        assert!(c("usersRouter.get('/u', list)\nconsumer.run({ eachMessage })").is_none());
        assert!(c("@Post()\ncreate() {}\nconsumer.run({ eachMessage })").is_none());
        assert!(c("export async function POST(r) {}\nconsumer.run({ eachMessage })").is_none());
        // a consumer that calls out over HTTP is still one
        assert!(c("consumer.run({ eachMessage })\nawait fetch(u, { method: 'POST' })").is_some());
        // a consumer named in passing is not one registered
        assert!(c("const consumers = await listConsumers()\nconsumer.close()").is_none());
        let py = Language::Python;
        assert!(
            registration(py, "ch.basic_consume(queue='q', on_message_callback=cb)\n").is_some()
        );
        assert!(registration(py, "consumer = KafkaConsumer('t', group_id='g')\n").is_some());
        assert!(registration(py, "@broker.subscriber('orders')\nasync def f(m): ...\n").is_some());
        assert!(registration(
            py,
            "consumer = KafkaConsumer('t')\n\ndef view(request):\n    return ok()\n"
        )
        .is_none());
        assert!(registration(Language::Go, "consumer.run(").is_none());
    }
}
