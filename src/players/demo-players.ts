// Demo players for `npm run seed`: a few hundred believable profiles across games, regions, platforms and
// languages. Generated from a fixed seed, so every run produces the same nicks and seeding is idempotent.
import { platforms, regions, type Game, type PlayerInput } from './schema.ts';

type Platform = (typeof platforms)[number];
type Region = (typeof regions)[number];

interface Title {
  readonly title: string;
  readonly platforms: readonly Platform[];
  /** The ranked ladder, lowest first; none for games played casually. */
  readonly ranks: readonly string[];
}

const consoles: readonly Platform[] = ['pc', 'playstation', 'xbox'];

const titles: readonly Title[] = [
  { title: 'Rocket League', platforms: ['pc', 'playstation', 'xbox', 'switch'], ranks: ['Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Champion', 'Grand Champion', 'Supersonic Legend'] },
  { title: 'League of Legends', platforms: ['pc'], ranks: ['Iron', 'Bronze', 'Silver', 'Gold', 'Platinum', 'Emerald', 'Diamond', 'Master', 'Grandmaster', 'Challenger'] },
  { title: 'Valorant', platforms: consoles, ranks: ['Iron', 'Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Ascendant', 'Immortal', 'Radiant'] },
  { title: 'Counter-Strike 2', platforms: ['pc'], ranks: ['Silver', 'Gold Nova', 'Master Guardian', 'Legendary Eagle', 'Supreme', 'Global Elite'] },
  { title: 'Dota 2', platforms: ['pc'], ranks: ['Herald', 'Guardian', 'Crusader', 'Archon', 'Legend', 'Ancient', 'Divine', 'Immortal'] },
  { title: 'Fortnite', platforms: ['pc', 'playstation', 'xbox', 'switch', 'mobile'], ranks: ['Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Elite', 'Champion', 'Unreal'] },
  { title: 'Apex Legends', platforms: ['pc', 'playstation', 'xbox', 'switch'], ranks: ['Rookie', 'Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Master', 'Apex Predator'] },
  { title: 'Overwatch 2', platforms: ['pc', 'playstation', 'xbox', 'switch'], ranks: ['Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Master', 'Grandmaster', 'Champion'] },
  { title: 'Call of Duty: Warzone', platforms: consoles, ranks: ['Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Crimson', 'Iridescent'] },
  { title: 'Street Fighter 6', platforms: consoles, ranks: ['Rookie', 'Iron', 'Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Master'] },
  { title: 'Tekken 8', platforms: consoles, ranks: ['Beginner', 'Fighter', 'Warrior', 'Garyu', 'Battle Ruler', 'Fujin', 'Tekken King', 'Tekken God'] },
  { title: 'EA Sports FC 25', platforms: ['pc', 'playstation', 'xbox', 'switch'], ranks: ['Division 10', 'Division 7', 'Division 5', 'Division 3', 'Division 1', 'Elite Division'] },
  { title: 'PUBG Mobile', platforms: ['mobile'], ranks: ['Bronze', 'Silver', 'Gold', 'Platinum', 'Diamond', 'Crown', 'Ace', 'Conqueror'] },
  { title: 'Mobile Legends: Bang Bang', platforms: ['mobile'], ranks: ['Warrior', 'Elite', 'Master', 'Grandmaster', 'Epic', 'Legend', 'Mythic'] },
  { title: 'Minecraft', platforms: ['pc', 'playstation', 'xbox', 'switch', 'mobile'], ranks: [] },
  { title: 'Mario Kart 8 Deluxe', platforms: ['switch'], ranks: [] },
  { title: 'Animal Crossing: New Horizons', platforms: ['switch'], ranks: [] },
  { title: 'Genshin Impact', platforms: ['pc', 'playstation', 'mobile'], ranks: [] },
  { title: 'Destiny 2', platforms: consoles, ranks: [] },
  { title: 'Sea of Thieves', platforms: consoles, ranks: [] },
  { title: 'Stardew Valley', platforms: ['pc', 'playstation', 'xbox', 'switch', 'mobile'], ranks: [] },
];

interface RegionPeople {
  /** The first language is the most common one; English is added for some players everywhere. */
  readonly languages: readonly string[];
  readonly firstNames: readonly string[];
  readonly lastNames: readonly string[];
}

const people: Readonly<Record<Region, RegionPeople>> = {
  eu: {
    languages: ['de', 'fr', 'es', 'it', 'pl', 'nl', 'sv', 'pt', 'en'],
    firstNames: ['Lukas', 'Emma', 'Mateo', 'Chloé', 'Giulia', 'Jakub', 'Sanne', 'Elin', 'Tiago', 'Oliver', 'Lena', 'Hugo'],
    lastNames: ['Müller', 'Dubois', 'García', 'Rossi', 'Nowak', 'de Vries', 'Lindqvist', 'Ferreira', 'Smith', 'Schneider', 'Moreau', 'Kowalski'],
  },
  na: {
    languages: ['en', 'es', 'fr'],
    firstNames: ['Jordan', 'Ava', 'Ethan', 'Sofia', 'Tyler', 'Maya', 'Noah', 'Camille', 'Diego', 'Hannah', 'Logan', 'Riley'],
    lastNames: ['Johnson', 'Williams', 'Martinez', 'Brown', 'Tremblay', 'Nguyen', 'Davis', 'Hernández', 'Miller', 'Wilson', 'Roy', 'Clark'],
  },
  sa: {
    languages: ['pt', 'es'],
    firstNames: ['Gabriel', 'Ana', 'Matías', 'Valentina', 'Lucas', 'Camila', 'Santiago', 'Beatriz', 'Thiago', 'Isabella', 'Joaquín', 'Larissa'],
    lastNames: ['Silva', 'Santos', 'González', 'Rodríguez', 'Oliveira', 'Pereira', 'Fernández', 'López', 'Costa', 'Gómez', 'Souza', 'Díaz'],
  },
  asia: {
    languages: ['ja', 'ko', 'zh', 'hi', 'id', 'th', 'vi', 'tl'],
    firstNames: ['Haruto', 'Yuna', 'Min-jun', 'Ji-woo', 'Wei', 'Mei', 'Arjun', 'Priya', 'Budi', 'Siti', 'Minh', 'Nattapong'],
    lastNames: ['Sato', 'Tanaka', 'Kim', 'Park', 'Wang', 'Li', 'Sharma', 'Patel', 'Santoso', 'Nguyen', 'Tran', 'Suzuki'],
  },
  oceania: {
    languages: ['en', 'mi'],
    firstNames: ['Jack', 'Charlotte', 'William', 'Isla', 'Cooper', 'Matilda', 'Tane', 'Aroha', 'Liam', 'Ruby', 'Mason', 'Zoe'],
    lastNames: ['Smith', 'Jones', 'Williams', 'Taylor', 'Ngata', 'Walker', 'Kelly', 'Parata', 'White', 'Martin', 'Thompson', 'Harris'],
  },
  africa: {
    languages: ['en', 'fr', 'sw', 'ar', 'zu', 'am', 'yo'],
    firstNames: ['Kwame', 'Amara', 'Tendai', 'Zanele', 'Youssef', 'Fatou', 'Chinedu', 'Nia', 'Thabo', 'Awa', 'Tesfaye', 'Imani'],
    lastNames: ['Mensah', 'Okafor', 'Dlamini', 'Mohammed', 'Diallo', 'Kamau', 'Ndlovu', 'Traoré', 'Bekele', 'Adeyemi', 'Nkosi', 'Otieno'],
  },
  me: {
    languages: ['ar', 'fa', 'tr', 'he', 'en'],
    firstNames: ['Omar', 'Layla', 'Ali', 'Zeynep', 'Yusuf', 'Noor', 'Arash', 'Shirin', 'Emre', 'Maya', 'Karim', 'Dana'],
    lastNames: ['Haddad', 'Khalil', 'Hosseini', 'Yilmaz', 'Demir', 'Cohen', 'Al-Sayed', 'Rahimi', 'Kaya', 'Levi', 'Nasser', 'Farouk'],
  },
};

/** Rough share of players per region, in percent. */
const regionWeights: readonly (readonly [Region, number])[] = [
  ['eu', 30],
  ['na', 25],
  ['asia', 18],
  ['sa', 12],
  ['oceania', 6],
  ['me', 5],
  ['africa', 4],
];

const handleWords = {
  first: ['Silent', 'Crimson', 'Lucky', 'Frost', 'Neon', 'Shadow', 'Rapid', 'Cosmic', 'Iron', 'Pixel', 'Wild', 'Golden', 'Lazy', 'Turbo', 'Mystic'],
  second: ['Falcon', 'Panda', 'Wolf', 'Otter', 'Ninja', 'Comet', 'Tiger', 'Raven', 'Badger', 'Viking', 'Fox', 'Golem', 'Mango', 'Kraken', 'Sprout'],
};

const bios = [
  'Looking for a duo for ranked evenings.',
  'Chill player, mostly weekends. No toxicity please.',
  'Grinding to the next rank; I shot-call and want a steady team.',
  'Dad gamer, online after the kids are in bed.',
  'Streaming sometimes, happy to squad up.',
  'Support main. I will heal you.',
  'New to the game, patient teammates welcome.',
  'Tournament team looking for a fifth.',
];

/** mulberry32: a small deterministic PRNG, so the demo set is the same on every run. */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const demoPlayerCount = 300;

export function demoPlayers(count = demoPlayerCount): PlayerInput[] {
  const next = random(20_251_126);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (probability: number): boolean => next() < probability;
  const between = (low: number, high: number): number => low + Math.floor(next() * (high - low + 1));
  /** Up to `count` distinct items, in their original order. */
  const some = <T>(items: readonly T[], count: number): T[] => items.filter(() => chance(count / items.length)).slice(0, count);
  const weightedRegion = (): Region => {
    let roll = next() * 100;
    for (const [region, weight] of regionWeights) {
      roll -= weight;
      if (roll < 0) return region;
    }
    return 'eu';
  };

  return Array.from({ length: count }, (_, index): PlayerInput => {
    const region = weightedRegion();
    const local = people[region];
    const firstName = pick(local.firstNames);
    const lastName = pick(local.lastNames);
    const primary = pick(platforms.filter((platform) => platform !== 'mobile' || chance(0.5)));
    const playerPlatforms = [...new Set([primary, ...some(platforms, 1)])];
    const playable = titles.filter((title) => title.platforms.some((platform) => playerPlatforms.includes(platform)));
    const favourites = [...new Set([pick(playable), ...some(playable, 2)])];
    const games = favourites.map((title): Game => {
      const competitive = title.ranks.length > 0 && chance(0.55);
      return {
        title: title.title,
        platform: pick(title.platforms.filter((platform) => playerPlatforms.includes(platform))),
        hoursPerWeek: between(1, 25),
        competitive,
        ...(competitive ? { rank: pick(title.ranks) } : {}),
      };
    });
    const nativeLanguage = pick(local.languages);
    const languages = [...new Set([nativeLanguage, ...(chance(0.5) ? ['en'] : [])])];
    // The index keeps nicks unique (case-insensitively) however the words fall.
    const nick = `${pick(handleWords.first)}${pick(handleWords.second)}${String(index + 1)}`;
    // Mostly 16-35, a few younger (13+) and older players.
    const age = chance(0.85) ? between(16, 35) : between(13, 60);
    return {
      nick,
      firstName,
      lastName,
      age,
      platforms: playerPlatforms,
      games,
      region,
      languages,
      ...(chance(0.6) ? { bio: pick(bios) } : {}),
      ...(chance(0.4) ? { contact: `discord: ${nick.toLowerCase()}` } : {}),
    };
  });
}
