-- A foreign, entity-rich database for the voice eval (bench/stt_bias.py, tests/agent/speech/test_vocabulary_bias.py):
-- a farmers' cooperative whose people, towns, products and buyers appear nowhere in the demo database.
CREATE TABLE cooperados (id INTEGER PRIMARY KEY, nome VARCHAR(80) NOT NULL, municipio VARCHAR(60) NOT NULL,
                         uf CHAR(2) NOT NULL, cultura VARCHAR(40) NOT NULL);
CREATE TABLE produtos (id INTEGER PRIMARY KEY, nome VARCHAR(80) NOT NULL, categoria VARCHAR(40) NOT NULL,
                       preco_kg NUMERIC(10, 2) NOT NULL);
CREATE TABLE compradores (id INTEGER PRIMARY KEY, razao_social VARCHAR(80) NOT NULL, cidade VARCHAR(60) NOT NULL);
CREATE TABLE entregas (id INTEGER PRIMARY KEY, cooperado_id INTEGER NOT NULL REFERENCES cooperados(id),
                       produto_id INTEGER NOT NULL REFERENCES produtos(id),
                       comprador_id INTEGER NOT NULL REFERENCES compradores(id),
                       quilos NUMERIC(10, 1) NOT NULL, data_entrega DATE NOT NULL);

INSERT INTO cooperados (id, nome, municipio, uf, cultura) VALUES
 (1, 'Iracema Tabajara', 'Pindamonhangaba', 'SP', 'guaraná'),
 (2, 'Otoniel Brandão', 'Guaratinguetá', 'SP', 'café arábica'),
 (3, 'Jurema Cavalcanti', 'Quixeramobim', 'CE', 'cupuaçu'),
 (4, 'Wanderley Pimentel', 'Xique-Xique', 'BA', 'sisal'),
 (5, 'Genoveva Albuquerque', 'Itapipoca', 'CE', 'cacau'),
 (6, 'Deoclécio Furtado', 'Paraopeba', 'MG', 'mandioca'),
 (7, 'Raimunda Quitéria', 'Tangará da Serra', 'MT', 'erva-mate'),
 (8, 'Ubirajara Moreira', 'Carangola', 'MG', 'açaí'),
 (9, 'Eulália Sampaio', 'Januária', 'MG', 'café arábica'),
 (10, 'Teotônio Vilela', 'Jaboticabal', 'SP', 'guaraná'),
 (11, 'Clotilde Maranhão', 'Itaquaquecetuba', 'SP', 'mandioca'),
 (12, 'Anacleto Bezerra', 'Capão Bonito', 'SP', 'erva-mate');

INSERT INTO produtos (id, nome, categoria, preco_kg) VALUES
 (1, 'Queijo Canastra', 'laticínios', 78.00),
 (2, 'Café Catuaí Amarelo', 'café', 42.50),
 (3, 'Cachaça Serra Limpa', 'bebidas', 55.00),
 (4, 'Rapadura Tijolinho', 'doces', 18.90),
 (5, 'Mel de Jataí', 'mel', 120.00),
 (6, 'Farinha de Tapioca', 'farinhas', 14.00),
 (7, 'Doce de Buriti', 'doces', 36.00),
 (8, 'Licor de Jabuticaba', 'bebidas', 64.00),
 (9, 'Polpa de Cupuaçu', 'polpas', 22.00),
 (10, 'Castanha do Pará', 'castanhas', 89.00);

INSERT INTO compradores (id, razao_social, cidade) VALUES
 (1, 'Empório Jequitibá', 'Piracicaba'),
 (2, 'Laticínios Mantiqueira', 'Mogi Mirim'),
 (3, 'Mercearia Tupinambá', 'Lençóis'),
 (4, 'Armazém Paraty', 'Canindé'),
 (5, 'Distribuidora Aroeira', 'Jaboticabal'),
 (6, 'Atacadão Caiçara', 'Piracicaba');

INSERT INTO entregas (id, cooperado_id, produto_id, comprador_id, quilos, data_entrega) VALUES
 (1, 1, 1, 2, 120.0, '2026-03-04'), (2, 2, 2, 1, 800.0, '2026-03-11'), (3, 3, 9, 3, 340.5, '2026-04-02'),
 (4, 4, 4, 6, 95.0, '2026-04-18'), (5, 5, 7, 4, 60.0, '2026-05-06'), (6, 6, 6, 5, 410.0, '2026-05-21'),
 (7, 7, 3, 6, 75.0, '2026-06-01'), (8, 8, 9, 3, 220.0, '2026-06-15'), (9, 9, 2, 1, 650.0, '2026-07-09'),
 (10, 10, 8, 2, 44.0, '2026-07-23'), (11, 11, 6, 4, 380.0, '2026-08-05'), (12, 12, 10, 5, 150.0, '2026-08-19'),
 (13, 1, 5, 1, 12.5, '2026-09-02'), (14, 3, 1, 2, 88.0, '2026-09-16'), (15, 2, 3, 6, 64.0, '2026-10-01');
