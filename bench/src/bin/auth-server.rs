//! The pusher-js auth routes of pusher-axum or pusher-actix, with a resolver that allows
//! everything, beside a plain `hello` route in the same app: what `wrk` measures to show what
//! the auth routes cost over the framework itself.
//!
//! ```text
//! auth-server --framework axum|actix --port 8081 [--workers 2]
//! ```
//!
//! Routes: `GET`/`POST /hello` answers `hello` (the body, if any, is not read);
//! `POST /hello-form` reads the whole body and answers a fixed JSON object as long as a private
//! channel's auth answer (the framework's share of an auth request, without the library);
//! `POST /pusher/auth` and `POST /pusher/user-auth` are the library's routes, mounted the way
//! the examples mount them. `--workers` is the number of threads serving requests (tokio
//! workers for axum, actix workers), the machine's cores by default. Prints
//! `listening on 127.0.0.1:PORT` once it accepts connections, and runs until killed.

use std::convert::Infallible;
use std::process::ExitCode;

use pusher_bench::{APP_ID, APP_KEY, APP_SECRET, Options};
use pusher_client::{
    ChannelAuthRequest, ChannelGrant, Pusher, UserAuthRequest, UserData, UserGrant,
};

/// The plain route's answer, in both frameworks.
const HELLO: &str = "hello";

/// `/hello-form`'s answer: the shape and length of a private channel's auth answer.
const FORM_ANSWER: &str =
    r#"{"auth":"bench-key:0000000000000000000000000000000000000000000000000000000000000000"}"#;

/// The app's client: signs the auth answers; never sends anything in this benchmark.
fn build_client() -> Result<Pusher, pusher_client::Error> {
    Pusher::builder(APP_ID, APP_KEY, APP_SECRET).build()
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use pusher_axum::PusherAuth;

    /// Everyone may subscribe to any private channel.
    async fn allow(_: (), _: ChannelAuthRequest) -> Result<ChannelGrant, Infallible> {
        Ok(ChannelGrant::Allow)
    }

    /// Everyone is signed in as user `bench`.
    async fn sign_in(_: (), _: UserAuthRequest) -> Result<UserGrant, Infallible> {
        Ok(UserGrant::Allow(UserData::new("bench")))
    }

    async fn hello() -> &'static str {
        HELLO
    }

    /// Reads the body as the auth route does, and answers JSON without any signing.
    async fn hello_form(body: axum::body::Bytes) -> impl axum::response::IntoResponse {
        std::hint::black_box(body);
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            FORM_ANSWER,
        )
    }

    pub(super) fn serve(pusher: Pusher, port: u16, workers: usize) -> std::io::Result<()> {
        let app = Router::new()
            .route("/hello", get(hello).post(hello))
            .route("/hello-form", axum::routing::post(hello_form))
            .merge(PusherAuth::new().channel(allow).user(sign_in))
            .with_state(pusher);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?
            .block_on(async move {
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
                println!("listening on {}", listener.local_addr()?);
                axum::serve(listener, app).await
            })
    }
}

mod actix_app {
    use super::*;
    use actix_web::{App, HttpRequest, HttpServer, web};
    use pusher_actix::PusherAuth;

    /// Everyone may subscribe to any private channel.
    async fn allow(_: HttpRequest, _: ChannelAuthRequest) -> actix_web::Result<ChannelGrant> {
        Ok(ChannelGrant::Allow)
    }

    /// Everyone is signed in as user `bench`.
    async fn sign_in(_: HttpRequest, _: UserAuthRequest) -> actix_web::Result<UserGrant> {
        Ok(UserGrant::Allow(UserData::new("bench")))
    }

    async fn hello() -> &'static str {
        HELLO
    }

    /// Reads the body as the auth route does, and answers JSON without any signing.
    async fn hello_form(body: web::Bytes) -> actix_web::HttpResponse {
        std::hint::black_box(body);
        actix_web::HttpResponse::Ok()
            .content_type("application/json")
            .body(FORM_ANSWER)
    }

    pub(super) fn serve(pusher: Pusher, port: u16, workers: usize) -> std::io::Result<()> {
        let pusher = web::Data::new(pusher);
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(pusher.clone())
                    .route("/hello", web::get().to(hello))
                    .route("/hello", web::post().to(hello))
                    .route("/hello-form", web::post().to(hello_form))
                    .service(PusherAuth::new().channel(allow).user(sign_in))
            })
            .workers(workers)
            .bind(("127.0.0.1", port))?;
            if let Some(addr) = server.addrs().first() {
                println!("listening on {addr}");
            }
            server.run().await
        })
    }
}

fn main() -> ExitCode {
    let parsed = Options::parse(std::env::args().skip(1)).and_then(|o| {
        o.only(&["framework", "port", "workers"])?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers: usize = o.get("workers", cores)?;
        let port: u16 = o.get("port", 0)?;
        if port == 0 || workers == 0 {
            return Err("--port is required and --workers must be at least 1".into());
        }
        Ok((o.text("framework", ""), port, workers))
    });
    let (framework, port, workers) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("auth-server: {e}");
            return ExitCode::from(2);
        }
    };
    let pusher = match build_client() {
        Ok(pusher) => pusher,
        Err(e) => {
            eprintln!("auth-server: client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = match framework.as_str() {
        "axum" => axum_app::serve(pusher, port, workers),
        "actix" => actix_app::serve(pusher, port, workers),
        other => {
            eprintln!("auth-server: --framework {other:?}: expected axum or actix");
            return ExitCode::from(2);
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auth-server: {e}");
            ExitCode::FAILURE
        }
    }
}
