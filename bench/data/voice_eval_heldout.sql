-- A second foreign database for the voice eval (bench/stt_bias.py --db heldout): a chain of veterinary clinics.
-- Written before any tuning and used only to check that the recognition bias generalises: nothing in
-- agent/speech was tuned on its names.
CREATE TABLE clinicas (id INTEGER PRIMARY KEY, nome VARCHAR(80) NOT NULL, cidade VARCHAR(60) NOT NULL,
                       uf CHAR(2) NOT NULL);
CREATE TABLE veterinarios (id INTEGER PRIMARY KEY, nome VARCHAR(80) NOT NULL, especialidade VARCHAR(40) NOT NULL,
                           clinica_id INTEGER NOT NULL REFERENCES clinicas(id));
CREATE TABLE medicamentos (id INTEGER PRIMARY KEY, nome VARCHAR(60) NOT NULL, laboratorio VARCHAR(60) NOT NULL,
                           custo NUMERIC(10, 2) NOT NULL);
CREATE TABLE atendimentos (id INTEGER PRIMARY KEY, veterinario_id INTEGER NOT NULL REFERENCES veterinarios(id),
                           medicamento_id INTEGER REFERENCES medicamentos(id), especie VARCHAR(20) NOT NULL,
                           valor NUMERIC(10, 2) NOT NULL, data_atendimento DATE NOT NULL);

INSERT INTO clinicas (id, nome, cidade, uf) VALUES
 (1, 'Clínica Bem-te-vi', 'Paranaguá', 'PR'),
 (2, 'Hospital Veterinário Capivara', 'Caraguatatuba', 'SP'),
 (3, 'Pet Center Ipê Roxo', 'Araraquara', 'SP'),
 (4, 'Clínica Saracura', 'Garanhuns', 'PE'),
 (5, 'Consultório Tamanduá', 'Piracuruca', 'PI'),
 (6, 'Clínica Sabiá', 'Aquidauana', 'MS'),
 (7, 'Centro Veterinário Jacarandá', 'Itabaianinha', 'SE'),
 (8, 'Clínica Quero-quero', 'Curitibanos', 'SC'),
 (9, 'Hospital Pet Araucária', 'Sapucaia do Sul', 'RS'),
 (10, 'Clínica Jandaia', 'Mucugê', 'BA');

INSERT INTO veterinarios (id, nome, especialidade, clinica_id) VALUES
 (1, 'Dorotéia Gusmão', 'dermatologia', 1),
 (2, 'Epaminondas Barreto', 'ortopedia', 2),
 (3, 'Leocádia Figueiredo', 'cardiologia', 3),
 (4, 'Juscelino Peixoto', 'clínica geral', 6),
 (5, 'Hermenegildo Tavares', 'ortopedia', 7),
 (6, 'Iolanda Vasconcelos', 'oftalmologia', 3),
 (7, 'Belmiro Caldeira', 'odontologia', 1),
 (8, 'Rosalina Teixeira', 'clínica geral', 10),
 (9, 'Gumercindo Siqueira', 'cardiologia', 4),
 (10, 'Albertina Cordeiro', 'dermatologia', 5);

INSERT INTO medicamentos (id, nome, laboratorio, custo) VALUES
 (1, 'Ivermectina', 'Ourofino', 18.50), (2, 'Meloxicam', 'Vetnil', 32.00), (3, 'Amoxicilina', 'Agener União', 41.90),
 (4, 'Cefalexina', 'Ourofino', 55.00), (5, 'Prednisolona', 'König', 27.40), (6, 'Dipirona', 'Vetnil', 12.00),
 (7, 'Omeprazol', 'Agener União', 22.80), (8, 'Tramadol', 'König', 64.00);

INSERT INTO atendimentos (id, veterinario_id, medicamento_id, especie, valor, data_atendimento) VALUES
 (1, 1, 1, 'cão', 180.00, '2026-03-02'), (2, 2, 2, 'gato', 240.00, '2026-03-09'),
 (3, 3, 5, 'cão', 320.00, '2026-04-01'), (4, 4, 3, 'cavalo', 450.00, '2026-04-14'),
 (5, 5, 8, 'cão', 290.00, '2026-05-05'), (6, 6, 4, 'gato', 210.00, '2026-05-19'),
 (7, 7, 6, 'cão', 150.00, '2026-06-03'), (8, 8, 3, 'coelho', 120.00, '2026-06-17'),
 (9, 9, 7, 'cão', 380.00, '2026-07-08'), (10, 10, 1, 'gato', 160.00, '2026-07-22'),
 (11, 1, 5, 'cão', 200.00, '2026-08-04'), (12, 3, 2, 'gato', 260.00, '2026-08-18');
