-- 100 authors and 100,000 published posts, one second apart, for the benchmark.
INSERT INTO users (id, email, display_name, password_hash)
SELECT md5('user' || i)::uuid, 'author' || i || '@example.com', 'Author ' || i, 'not-a-hash'
FROM generate_series(1, 100) AS i;

INSERT INTO posts (id, author_id, slug, title, body, tags, status, published_at, created_at,
                   updated_at, comment_count)
SELECT md5('post' || i)::uuid,
       md5('user' || (i % 100 + 1))::uuid,
       'benchmark-post-' || i,
       'Benchmark post number ' || i,
       repeat('Lorem ipsum dolor sit amet, consectetur adipiscing elit. ', 8),
       ARRAY['bench', 'tag-' || (i % 50)],
       'published',
       now() - make_interval(secs => i),
       now() - make_interval(secs => i),
       now() - make_interval(secs => i),
       i % 7
FROM generate_series(1, 100000) AS i;

